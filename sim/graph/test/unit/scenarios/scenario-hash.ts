/** Prints the SHA-256 of a scenario's sink calls; run in a fresh process by the determinism test. */
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { loadScenario } from '../../../scenarios/index.js';
import { RecordingSink } from './recording-sink.js';

export function scenarioHash(seed: number): string {
  const sink = new RecordingSink();
  const summary = loadScenario(sink, { seed, tenants: 2, usersPerTenant: 15, roomsPerTenant: 3, meetingsPerMailbox: 10, anchorMs: Date.UTC(2026, 2, 20, 9) });
  return createHash('sha256').update(JSON.stringify(sink.calls)).update(JSON.stringify(summary)).digest('hex');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(scenarioHash(Number(process.argv[2] ?? '1')));
}
