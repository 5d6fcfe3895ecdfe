import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';

/**
 * What every benchmark returns: rows measured side by side with a baseline in the same run,
 * so the ratio — not the absolute number — is what carries across machines.
 */
export interface BenchRow {
  readonly case: string;
  readonly opsPerSec: number;
  /** The row this one is compared with (same report). */
  readonly baseline?: string;
  /** opsPerSec / baseline's opsPerSec (computed by the runner when absent). */
  readonly ratio?: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly note?: string;
}

export interface BenchReport {
  readonly name: string;
  readonly rows: readonly BenchRow[];
}

export interface BenchOptions {
  /** Smaller runs for a quick check (`--quick`). */
  readonly quick: boolean;
  /** Reports progress of long benchmarks. */
  readonly progress: (done: number, total: number, label: string) => void;
  /** Only these parts of a suite (`--only`; suites that have parts list them in `parts`). */
  readonly parts?: readonly string[];
}

export type BenchModule = { run(options: BenchOptions): Promise<BenchReport>; readonly parts?: readonly string[] };

export function withRatios(report: BenchReport): BenchReport {
  const byCase = new Map(report.rows.map((row) => [row.case, row]));
  return {
    name: report.name,
    rows: report.rows.map((row) => {
      if (row.ratio !== undefined || row.baseline === undefined) return row;
      const base = byCase.get(row.baseline);
      return base === undefined || base.opsPerSec === 0 ? row : { ...row, ratio: row.opsPerSec / base.opsPerSec };
    }),
  };
}

const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined ? '' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function formatTable(report: BenchReport): string {
  const header = ['case', 'ops/s', 'vs', 'ratio', 'p50 ms', 'p99 ms', 'note'];
  const lines = report.rows.map((row) => [
    row.case,
    fmt(row.opsPerSec),
    row.baseline ?? '',
    row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}×`,
    fmt(row.p50Ms, 2),
    fmt(row.p99Ms, 2),
    row.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i]!.length)));
  const render = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [`# ${report.name}`, render(header), render(widths.map((w) => '-'.repeat(w))), ...lines.map(render)].join('\n');
}

const escapeXml = (text: string): string => text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A horizontal bar chart of throughput (label above each bar; baselines grey), as SVG. */
export function renderSvg(report: BenchReport): string {
  const rows = report.rows;
  const max = Math.max(1, ...rows.map((row) => row.opsPerSec));
  const barHeight = 18;
  const rowHeight = 46;
  const left = 16;
  const chartWidth = 620;
  const height = 48 + rows.length * rowHeight;
  const bars = rows.map((row, i) => {
    const y = 44 + i * rowHeight;
    const width = Math.max(2, (row.opsPerSec / max) * chartWidth);
    const colour = row.baseline === undefined ? '#8a94a6' : '#2f6fde';
    const ratio = row.ratio === undefined ? '' : ` — ${row.ratio.toFixed(2)}× ${escapeXml(row.baseline ?? '')}`;
    return [
      `<text x="${left}" y="${y}">${escapeXml(row.case)}${ratio}</text>`,
      `<rect x="${left}" y="${y + 6}" width="${width.toFixed(1)}" height="${barHeight}" fill="${colour}" rx="3"/>`,
      `<text x="${left + width + 6}" y="${y + 20}">${fmt(row.opsPerSec)} ops/s</text>`,
    ].join('');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${left + chartWidth + 320}" height="${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="24" font-size="16" font-weight="bold">${escapeXml(report.name)} — throughput (grey: baselines, blue: compared with one)</text>`,
    ...bars,
    '</svg>',
  ].join('\n');
}

/** The machine a run measured on: numbers only mean something next to it. */
export interface MachineDescription {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly freeMemoryGiB: number;
  /** 1, 5 and 15 minute load averages when the run started (a shared machine shows here). */
  readonly loadAverage: readonly number[];
  readonly os: string;
  readonly node: string;
  readonly java: string | null;
}

function javaVersion(): string | null {
  const out = spawnSync('java', ['-version'], { encoding: 'utf8', timeout: 10_000 });
  if (out.error !== undefined || out.status !== 0) return null;
  return `${out.stderr}${out.stdout}`.split('\n')[0]?.trim() ?? null;
}

export function describeMachine(): MachineDescription {
  const gib = (bytes: number): number => Math.round((bytes / 2 ** 30) * 10) / 10;
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: gib(totalmem()),
    freeMemoryGiB: gib(freemem()),
    loadAverage: loadavg().map((n) => Math.round(n * 100) / 100),
    os: `${platform()} ${release()}`,
    node: process.version,
    java: javaVersion(),
  };
}

export interface RunInfo {
  readonly at: Date;
  readonly quick: boolean;
  readonly machine: MachineDescription;
}

/**
 * Writes a suite's latest results under stable names, so the last run is what the repository
 * holds: `<name>.json` (rows, when, quick or not, the machine), `<name>.md` (the table) and
 * `<name>.svg` (the chart).
 */
export function saveReport(dir: string, report: BenchReport, run: RunInfo): { json: string; table: string; svg: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${report.name}.json`);
  const table = join(dir, `${report.name}.md`);
  const svg = join(dir, `${report.name}.svg`);
  writeFileSync(json, `${JSON.stringify({ at: run.at.toISOString(), quick: run.quick, machine: run.machine, ...report }, null, 2)}\n`);
  writeFileSync(table, `${formatMarkdown(report, run)}\n`);
  writeFileSync(svg, `${renderSvg(report)}\n`);
  return { json, table, svg };
}

/** A suite's table in Markdown, with when and where it was measured. */
export function formatMarkdown(report: BenchReport, run: RunInfo): string {
  const cell = (text: string): string => text.replace(/\|/g, '\\|');
  const rows = report.rows.map((row) => `| ${cell(row.case)} | ${fmt(row.opsPerSec)} | ${cell(row.baseline ?? '')} | ${row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}×`} | ${fmt(row.p50Ms, 2)} | ${fmt(row.p99Ms, 2)} | ${cell(row.note ?? '')} |`);
  return [
    `# ${report.name}`,
    '',
    `Measured ${run.at.toISOString()}${run.quick ? ' (quick mode)' : ''} on ${run.machine.cores} cores, ${run.machine.memoryGiB} GiB, Node ${run.machine.node}, load ${run.machine.loadAverage.join(' / ')}. Chart: [${report.name}.svg](${report.name}.svg).`,
    '',
    '| case | ops/s | vs | ratio | p50 ms | p99 ms | note |',
    '|---|---:|---|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}

/**
 * After a run: `machine.json` (the machine of the last full run) and `README.md`, an index of every
 * suite's latest results in the folder (each with its own date).
 */
export function saveSummary(dir: string, reports: readonly BenchReport[], run: RunInfo & { all: boolean }): string {
  mkdirSync(dir, { recursive: true });
  if (run.all) writeFileSync(join(dir, 'machine.json'), `${JSON.stringify({ at: run.at.toISOString(), quick: run.quick, suites: reports.map((r) => r.name), ...run.machine }, null, 2)}\n`);
  const index = join(dir, 'README.md');
  const machineFile = join(dir, 'machine.json');
  const machine = existsSync(machineFile) ? (JSON.parse(readFileSync(machineFile, 'utf8')) as MachineDescription & { at: string; quick: boolean }) : null;
  const lines = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (every suite; `npm run bench -- NAME` for one). Ratios against a baseline measured in the same run carry across machines; absolute numbers only next to the machine below.',
    '',
    machine === null
      ? 'No full run recorded yet.'
      : `Last full run: ${machine.at}${machine.quick ? ' (quick mode)' : ''} — ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, ${machine.java ?? 'no Java'}, load ${machine.loadAverage.join(' / ')} at the start ([machine.json](machine.json)).`,
    '',
    '| suite | results | measured |',
    '|---|---|---|',
  ];
  const names = new Set([...reports.map((r) => r.name), ...listSuites(dir)]);
  for (const name of [...names].sort()) {
    const file = join(dir, `${name}.json`);
    const at = existsSync(file) ? ((JSON.parse(readFileSync(file, 'utf8')) as { at?: string }).at ?? '') : '';
    lines.push(`| ${name} | [table](${name}.md) · [chart](${name}.svg) · [json](${name}.json) | ${at} |`);
  }
  if (existsSync(join(dir, 'reliability.md'))) lines.push('', 'Reliability suite (`npm run test:reliability`): [reliability.md](reliability.md).');
  writeFileSync(index, `${lines.join('\n')}\n`);
  return index;
}

function listSuites(dir: string): string[] {
  const out = spawnSync('ls', [dir], { encoding: 'utf8' });
  return (out.stdout ?? '')
    .split('\n')
    .filter((f) => f.endsWith('.json') && f !== 'machine.json' && f !== 'reliability.json')
    .map((f) => f.slice(0, -5));
}
