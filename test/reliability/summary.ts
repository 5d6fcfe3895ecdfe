import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One scenario's outcome: what it survived and the four checks every scenario ends with. */
export interface ScenarioOutcome {
  readonly scenario: string;
  /** What was done to the service (kills, restarts, outages, payloads). */
  readonly survived: string;
  readonly changes: number;
  readonly lost: number;
  readonly appliedTwice: number;
  readonly viewsEqualModel: boolean;
  readonly canaryHits: number;
  readonly passed: boolean;
  readonly seconds: number;
  readonly notes?: string;
}

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');

/**
 * Merges a scenario's outcome into bench/results/reliability.json (by scenario name) and rewrites
 * bench/results/reliability.md, the table of what was survived.
 */
export function recordOutcome(outcome: ScenarioOutcome): void {
  mkdirSync(RESULTS, { recursive: true });
  const jsonFile = join(RESULTS, 'reliability.json');
  const previous = existsSync(jsonFile) ? (JSON.parse(readFileSync(jsonFile, 'utf8')) as { scenarios?: (ScenarioOutcome & { at: string })[] }) : {};
  const at = new Date().toISOString();
  const scenarios = [...(previous.scenarios ?? []).filter((s) => s.scenario !== outcome.scenario), { ...outcome, at }].sort((a, b) => a.scenario.localeCompare(b.scenario));
  const machine = { cores: cpus().length, memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10, node: process.version, loadAverage: loadavg().map((n) => Math.round(n * 100) / 100) };
  writeFileSync(jsonFile, `${JSON.stringify({ updatedAt: at, machine, scenarios }, null, 2)}\n`);
  const row = (s: ScenarioOutcome & { at: string }): string =>
    `| ${s.scenario} | ${s.survived} | ${s.changes.toLocaleString('en-US')} | ${s.lost} | ${s.appliedTwice} | ${s.viewsEqualModel ? 'yes' : 'NO'} | ${s.canaryHits} | ${s.passed ? 'pass' : 'FAIL'} | ${s.seconds} | ${s.at.slice(0, 16)} | ${s.notes ?? ''} |`;
  writeFileSync(
    join(RESULTS, 'reliability.md'),
    [
      '# Reliability suite',
      '',
      'Written by `npm run test:reliability` (the nightly command; not part of `npm test`). Each scenario ends with',
      'nothing lost, nothing applied twice, views equal to the model computed from what was produced, and 0 canary hits.',
      `Last update ${at} on ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, load ${machine.loadAverage.join(' / ')}.`,
      '',
      '| scenario | survived | changes | lost | applied twice | views = model | canary hits | result | s | run at | notes |',
      '|---|---|---:|---:|---:|---|---:|---|---:|---|---|',
      ...scenarios.map(row),
      '',
    ].join('\n'),
  );
}
