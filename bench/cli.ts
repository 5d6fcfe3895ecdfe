import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { describeMachine, formatTable, saveReport, saveSummary, withRatios, type BenchModule, type BenchReport } from './report.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const RESULTS_DIR = join(BENCH_DIR, 'results');

/** A suite module; its `run` takes `BenchOptions` (quick, progress), or the part of them it uses. */
const suite = (load: () => Promise<{ run: (options: never) => Promise<BenchReport> }>) => async (): Promise<BenchModule> => await load();

/**
 * Every benchmark suite, one line each (keep them sorted by name). A suite is a module in bench/
 * exporting `run(options): Promise<BenchReport>`; `npm run bench` runs them all in this order.
 */
const SUITES: Readonly<Record<string, () => Promise<BenchModule>>> = {
  api: suite(() => import('./api.js')),
  connector: suite(() => import('./connector.js')),
  crypto: suite(() => import('./crypto.js')),
  parse: suite(() => import('./parse.js')),
  pipeline: suite(() => import('./pipeline.js')),
  'pipeline-stages': suite(() => import('./pipeline-stages.js')),
  recurrence: suite(() => import('./recurrence.js')),
  runtime: suite(() => import('./runtime.js')),
  scenarios: suite(() => import('./scenarios.js')),
  'sim-graph': suite(() => import('./sim-graph.js')),
  'sim-notify': suite(() => import('./sim-notify.js')),
  'sim-store-layout': suite(() => import('./sim-store-layout.js')),
  timers: suite(() => import('./timers.js')),
  writeback: suite(() => import('./writeback.js')),
};

export function availableBenchmarks(): string[] {
  return Object.keys(SUITES).sort();
}

/** `hycal bench [names...]` (also `npm run bench -- <name>`): runs benchmarks, prints and saves them. */
export function registerBenchCommands(program: Command): void {
  program
    .command('bench')
    .description(`run benchmarks (ratios against a baseline in the same run): ${availableBenchmarks().join(', ') || 'none yet'}`)
    .argument('[names...]', 'benchmarks to run (default: all)')
    .option('--quick', 'smaller runs, for a smoke check')
    .option('--only <parts>', 'only these parts of the named suite, comma-separated (connector: sync, webhook); printed, not saved')
    .action(async (names: string[], opts: { quick?: boolean; only?: string }) => {
      const chosen = names.length > 0 ? names : availableBenchmarks();
      const unknown = chosen.filter((name) => SUITES[name] === undefined);
      if (unknown.length > 0) {
        console.error(`no benchmark named ${unknown.join(', ')}; available: ${availableBenchmarks().join(', ')}`);
        process.exitCode = 2;
        return;
      }
      const parts = opts.only?.split(',').map((p) => p.trim()).filter((p) => p !== '');
      if (parts !== undefined && chosen.length !== 1) {
        console.error('--only needs exactly one suite name (e.g. npm run bench -- connector --only webhook)');
        process.exitCode = 2;
        return;
      }
      const machine = describeMachine();
      const reports: BenchReport[] = [];
      // A full run records its machine first, so a run stopped part-way still says where it measured.
      if (names.length === 0) saveSummary(RESULTS_DIR, [], { at: new Date(), quick: opts.quick === true, machine, all: true });
      for (const name of chosen) {
        const bench = await SUITES[name]!();
        const unknownParts = parts?.filter((p) => !(bench.parts ?? []).includes(p)) ?? [];
        if (parts !== undefined && (parts.length === 0 || unknownParts.length > 0)) {
          console.error(`${name} has no part named ${unknownParts.join(', ') || '(none given)'}; its parts: ${(bench.parts ?? []).join(', ') || 'none'}`);
          process.exitCode = 2;
          return;
        }
        const bar = new cliProgress.SingleBar(
          { format: ` ${name} {bar} {percentage}% | {label}`, stream: process.stderr, noTTYOutput: false },
          cliProgress.Presets.shades_classic,
        );
        let started = false;
        const report = withRatios(
          await bench.run({
            quick: opts.quick === true,
            ...(parts === undefined ? {} : { parts }),
            progress: (done, total, label) => {
              if (!started) {
                bar.start(total, done, { label });
                started = true;
              }
              bar.setTotal(total);
              bar.update(done, { label });
            },
          }),
        );
        if (started) bar.stop();
        console.log(`\n${formatTable(report)}`);
        if (parts !== undefined) {
          // A part alone is not the suite's result: bench/results keep whole runs.
          console.log(`not saved (only ${parts.join(', ')} of ${name}); run the whole suite to update bench/results`);
          return;
        }
        const saved = saveReport(RESULTS_DIR, report, { at: new Date(), quick: opts.quick === true, machine });
        console.log(`saved ${saved.json}, ${saved.table} and chart ${saved.svg}`);
        reports.push(report);
      }
      const summary = saveSummary(RESULTS_DIR, reports, { at: new Date(), quick: opts.quick === true, machine, all: names.length === 0 });
      console.log(`machine description and index: ${summary}`);
    });
}
