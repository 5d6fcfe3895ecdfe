import { InvalidArgumentError, type Command } from 'commander';
import { runDemo } from '../demo/index.js';
import { stopSignal } from './serve.js';

function whole(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
    return n;
  };
}

/** `hycal demo`: the whole service against the Graph simulator, with a live dashboard; Ctrl-C stops it. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the whole service against a simulated Microsoft 365 organisation and open a live dashboard')
    .option('--users <n>', 'simulated users', whole(1, 500), 12)
    .option('--rooms <n>', 'simulated rooms (each with a video device)', whole(0, 100), 4)
    .option('--seed <n>', 'scenario seed (the same seed gives the same organisation)', whole(0, 2 ** 31), 7)
    .option('--activity <n>', 'calendar actions per second of real time, at any --speed (0: none)', whole(0, 50), 1)
    .option('--port <n>', 'dashboard port (0: any free port)', whole(0, 65535), 8480)
    .option('--speed <n>', 'run the service clock n times faster than real time (60: Join buttons of the next hour appear within a minute)', whole(1, 3600), 1)
    .option('--name <name>', 'what the run keeps: topics <name>., database hycal_<name> (another name starts a clean organisation)', 'demo')
    .action(async (opts: { users: number; rooms: number; seed: number; activity: number; port: number; speed: number; name: string }) => {
      if (!/^[a-z][a-z0-9-]{0,30}$/.test(opts.name)) throw new InvalidArgumentError('--name: lower-case letters, digits and dashes, starting with a letter.');
      const started = Date.now();
      const demo = await runDemo({ ...opts, dashboardPort: opts.port, say: (line) => console.log(`hycal demo: ${line}`) });
      console.log(`hycal demo: ready in ${Math.round((Date.now() - started) / 1000)} s — dashboard ${demo.dashboardUrl}  (Ctrl-C stops)`);
      await stopSignal();
      console.log('hycal demo: stopping…');
      await demo.stop();
      console.log('hycal demo: stopped (the stack keeps running; `./hycal stack down` stops it)');
    });
}
