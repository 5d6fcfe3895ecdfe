import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { stackTarget } from '../../app/index.js';
import { restartLocalPart } from '../../stack/index.js';

const execFileAsync = promisify(execFile);

/** Whether this run's stack lets a test stop and start the broker. */
export function canRestartBroker(): boolean {
  return process.env['HYCAL_TEST_STACK'] === 'local' || process.env['HYCAL_TEST_STACK'] === 'containers';
}

/** Stops and starts the Kafka broker of the test stack (local processes or the test container). */
export async function restartBroker(): Promise<void> {
  const container = process.env['HYCAL_TEST_KAFKA_CONTAINER'];
  if (process.env['HYCAL_TEST_STACK'] === 'containers' && container !== undefined) {
    await execFileAsync('docker', ['restart', container], { timeout: 120_000 });
    return;
  }
  if (process.env['HYCAL_TEST_STACK'] === 'local') {
    await restartLocalPart('kafka', stackTarget());
    return;
  }
  throw new Error('This stack is external (KAFKA_BROKERS etc. set): a test cannot restart its broker.');
}
