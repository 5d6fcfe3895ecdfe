import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { formatTable, saveReport, withRatios, type BenchModule } from './report.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const NOT_BENCHMARKS = new Set(['cli', 'report', 'index']);

export function availableBenchmarks(): string[] {
  return readdirSync(BENCH_DIR)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => file.slice(0, -3))
    .filter((name) => !NOT_BENCHMARKS.has(name))
    .sort();
}

/** `hycal bench [names...]` (also `npm run bench -- <name>`): runs benchmarks, prints and saves them. */
export function registerBenchCommands(program: Command): void {
  program
    .command('bench')
    .description(`run benchmarks (ratios against a baseline in the same run): ${availableBenchmarks().join(', ') || 'none yet'}`)
    .argument('[names...]', 'benchmarks to run (default: all)')
    .option('--quick', 'smaller runs, for a smoke check')
    .action(async (names: string[], opts: { quick?: boolean }) => {
      const chosen = names.length > 0 ? names : availableBenchmarks();
      for (const name of chosen) {
        const file = join(BENCH_DIR, `${name}.ts`);
        if (!existsSync(file) || NOT_BENCHMARKS.has(name)) {
          console.error(`no benchmark named ${name}; available: ${availableBenchmarks().join(', ')}`);
          process.exitCode = 2;
          return;
        }
        const bench = (await import(pathToFileURL(file).href)) as BenchModule;
        const bar = new cliProgress.SingleBar(
          { format: ` ${name} {bar} {percentage}% | {label}`, stream: process.stderr, noTTYOutput: false },
          cliProgress.Presets.shades_classic,
        );
        let started = false;
        const report = withRatios(
          await bench.run({
            quick: opts.quick === true,
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
        const saved = saveReport(join(BENCH_DIR, 'results'), report, new Date());
        console.log(`saved ${saved.json} and chart ${saved.svg}`);
      }
    });
}
