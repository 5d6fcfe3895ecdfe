import { describe, expect, it } from 'vitest';
import { runtimeRows } from '../../../bench/runtime.js';

const options = { records: 100_000, keys: 1_000, partitions: 6, latencyRate: 1_000 };
const m = (opsPerSec: number, p50 = 4, p99 = 11) => ({ opsPerSec, p50, p99 });

describe('runtime benchmark rows', () => {
  it('ratio – is the median of the pairs\' own ratios, not the ratio of the medians', () => {
    // Pair ratios 0.5, 0.9, 0.8 → median 0.8; medians of throughput would give 45,000 / 50,000 = 0.9.
    const rows = runtimeRows(options, [
      { baseline: m(100_000), runtime: m(50_000) },
      { baseline: m(50_000), runtime: m(45_000) },
      { baseline: m(40_000), runtime: m(32_000) },
    ]);
    expect(rows[1]!.ratio).toBe(0.8);
    expect(rows[0]!.opsPerSec).toBe(50_000);
    expect(rows[1]!.opsPerSec).toBe(45_000);
  });

  it('note – names every pair with the order it was measured in', () => {
    const rows = runtimeRows(options, [
      { baseline: m(50_000), runtime: m(38_000) },
      { baseline: m(52_000), runtime: m(41_600) },
    ]);
    expect(rows[1]!.ratio).toBe(0.78);
    expect(rows[1]!.note).toContain('38,000 / 50,000 = 0.76 (passthrough first)');
    expect(rows[1]!.note).toContain('41,600 / 52,000 = 0.80 (runtime first)');
    expect(rows[0]!.note).toContain('median of 2 pairs measured in alternating order');
  });
});
