import { mkdirSync, writeFileSync } from 'node:fs';
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
}

export type BenchModule = { run(options: BenchOptions): Promise<BenchReport> };

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

export function saveReport(dir: string, report: BenchReport, at: Date): { json: string; svg: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = at.toISOString().replace(/[:.]/g, '-');
  const json = join(dir, `${report.name}-${stamp}.json`);
  const svg = join(dir, `${report.name}.svg`);
  writeFileSync(json, `${JSON.stringify({ at: at.toISOString(), node: process.version, ...report }, null, 2)}\n`);
  writeFileSync(svg, `${renderSvg(report)}\n`);
  return { json, svg };
}
