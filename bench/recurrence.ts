/**
 * Recurrence expansion benchmark: 10,000 random Graph series (every pattern and range type, DST
 * zones by Windows and IANA name, all-day, recurrenceTimeZone; the property tests' generator,
 * seeded) expanded over a 38-day window, against the rrule package (RRule with tzid, rules built
 * beforehand) expanding the same series over the same window, side by side in one run.
 *
 * Cases: "near" windows start 0-2 years after the series start (what calendarView asks for);
 * "far" windows start 20-30 years after it (noEnd series a long-lived mailbox still carries).
 * Our rows produce full Graph occurrences (instants plus formatted start/end); rrule's rows only
 * produce start instants, so the comparison favours the baseline.
 *
 * rrule walks from DTSTART to the window, so its rows use the first 2,000 (near) or 300 (far)
 * series of the same sample: ops/s are rates, comparable across sample sizes.
 *
 * Run: `npm run bench -- recurrence` (wired by the lead) or `npx tsx bench/recurrence.ts`.
 */
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { compileSeries, expandCompiled, expandSeries, validateSeries } from '@hybrid-calendar/sim-graph/recurrence';
import type { CompiledSeries } from '@hybrid-calendar/sim-graph/recurrence';
import { seriesCaseArb } from '@hybrid-calendar/sim-graph/testing';
import type { SeriesCase } from '@hybrid-calendar/sim-graph/testing';
import { buildOracle } from '@hybrid-calendar/sim-graph/testing';
import type { BenchOptions, BenchReport, BenchRow } from './report.js';
import type { OracleSetup } from '@hybrid-calendar/sim-graph/testing';

export interface RecurrenceBenchOptions extends Partial<BenchOptions> {
  /** Number of series per case (default 10,000; 1,000 with `quick`). */
  series?: number;
  seed?: number;
}

const DAY = 86_400_000;
const WINDOW_DAYS = 38;

function sampleCases(count: number, seed: number, offsetDays: [number, number]): SeriesCase[] {
  const arb = seriesCaseArb({ windowOffsetDays: offsetDays, windowLengthDays: [WINDOW_DAYS, WINDOW_DAYS] });
  const out: SeriesCase[] = [];
  let round = 0;
  while (out.length < count) {
    for (const c of fc.sample(arb, { seed: seed + round, numRuns: count })) {
      try {
        validateSeries(c.series);
      } catch {
        continue; // endDate before the first occurrence: Graph rejects it, nothing to expand
      }
      // Whole-day window, as a client asks for a calendar page.
      const windowStartMs = Math.floor(c.windowStartMs / DAY) * DAY;
      out.push({ ...c, windowStartMs, windowEndMs: windowStartMs + WINDOW_DAYS * DAY });
      if (out.length === count) break;
    }
    round += 1;
  }
  return out;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

interface Timing {
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  occurrences: number;
}

function timeEach<T>(items: readonly T[], fn: (item: T) => number): Timing {
  const latencies = new Array<number>(items.length);
  let occurrences = 0;
  const started = performance.now();
  for (let i = 0; i < items.length; i++) {
    const t0 = performance.now();
    occurrences += fn(items[i] as T);
    latencies[i] = performance.now() - t0;
  }
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return { opsPerSec: (items.length / elapsed) * 1000, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), occurrences };
}

function round(n: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function benchCases(label: string, cases: readonly SeriesCase[], baselineCount = cases.length): BenchRow[] {
  const compiled: { c: SeriesCase; s: CompiledSeries }[] = cases.map((c) => ({ c, s: compileSeries(c.series) }));
  const rules: { c: SeriesCase; o: OracleSetup }[] = cases.slice(0, baselineCount).map((c) => ({ c, o: buildOracle(c.series, 'tzid') }));
  const ours = (c: SeriesCase): number => expandSeries(c.series, c.windowStartMs, c.windowEndMs).length;
  const oursCompiled = ({ c, s }: { c: SeriesCase; s: CompiledSeries }): number => expandCompiled(s, c.windowStartMs, c.windowEndMs).length;
  const rrule = ({ c, o }: { c: SeriesCase; o: OracleSetup }): number =>
    o.rule.between(new Date(c.windowStartMs - o.wallDurationMs), new Date(c.windowEndMs), true).length;

  // Warm-up: JIT and the per-zone offset tables (built once per zone and year, ~0.3-0.6 ms each).
  timeEach(cases, ours);
  timeEach(rules.slice(0, Math.min(200, Math.ceil(baselineCount / 10))), rrule);

  const a = timeEach(cases, ours);
  const b = timeEach(compiled, oursCompiled);
  const base = timeEach(rules, rrule);
  const baseline = `rrule ${label} (RRule with tzid, prebuilt)`;
  return [
    { case: baseline, opsPerSec: round(base.opsPerSec, 1), p50Ms: round(base.p50Ms), p99Ms: round(base.p99Ms), note: `${rules.length} series, ${base.occurrences} starts` },
    {
      case: `expandSeries ${label} (validate + compile + expand)`,
      opsPerSec: round(a.opsPerSec, 1),
      baseline,
      ratio: round(a.opsPerSec / base.opsPerSec, 2),
      p50Ms: round(a.p50Ms),
      p99Ms: round(a.p99Ms),
      note: `${a.occurrences} occurrences`,
    },
    {
      case: `expandCompiled ${label} (precompiled)`,
      opsPerSec: round(b.opsPerSec, 1),
      baseline,
      ratio: round(b.opsPerSec / base.opsPerSec, 2),
      p50Ms: round(b.p50Ms),
      p99Ms: round(b.p99Ms),
      note: `${b.occurrences} occurrences`,
    },
  ];
}

export async function run(opts: RecurrenceBenchOptions = {}): Promise<BenchReport> {
  const count = opts.series ?? (opts.quick === true ? 1_000 : 10_000);
  const seed = opts.seed ?? 20_260_105;
  const progress = opts.progress ?? (() => undefined);
  process.env.TZ = 'UTC'; // rrule's tzid conversion reads the process zone
  progress(0, 4, 'sampling series');
  const near = sampleCases(count, seed, [0, 730]);
  const far = sampleCases(count, seed + 1000, [20 * 365, 30 * 365]);
  progress(1, 4, 'near windows');
  await Promise.resolve();
  const nearRows = benchCases('38-day window near start', near, Math.min(count, 2000));
  progress(2, 4, 'far windows');
  await Promise.resolve();
  const farRows = benchCases('38-day window 20-30 years out', far, Math.min(count, 300));
  progress(4, 4, 'done');
  return { name: 'recurrence', rows: [...nearRows, ...farRows] };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = await run({ series: Number(process.env.BENCH_SERIES ?? 10_000) });
  console.table(report.rows);
}
