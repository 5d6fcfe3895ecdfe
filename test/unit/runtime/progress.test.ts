import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PartitionProgress } from '../../../runtime/index.js';

describe('runtime – partition progress (what may be committed)', () => {
  it('progress – the safe offset never passes an incomplete record, whatever the completion order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 60 }).chain((gaps) => fc.tuple(fc.constant(gaps), fc.shuffledSubarray(gaps.map((_, i) => i), { minLength: 0, maxLength: gaps.length }))), (base, [gaps, order]) => {
        const offsets: number[] = [];
        let next = base;
        for (const gap of gaps) {
          offsets.push(next);
          next += gap ? 3 : 1; // offsets need not be contiguous (compaction, control records)
        }
        const progress = new PartitionProgress();
        for (const o of offsets) progress.add(o);
        const done = new Set<number>();
        for (const index of order) {
          progress.complete(offsets[index]!);
          done.add(index);
          let prefix = 0;
          while (prefix < offsets.length && done.has(prefix)) prefix += 1;
          expect(progress.safeOffset).toBe(prefix === 0 ? offsets[0] : offsets[prefix - 1]! + 1);
        }
        expect(progress.pending).toBe(offsets.length - order.length);
      }),
    );
  });

  it('progress – an abandoned record blocks the safe offset but lets the batch finish', async () => {
    const progress = new PartitionProgress();
    for (const o of [10, 11, 12, 13]) progress.add(o);
    progress.complete(10);
    progress.abandon(11);
    progress.complete(12);
    progress.complete(13);
    await progress.whenIdle();
    expect(progress.safeOffset).toBe(11);
    expect(progress.pending).toBe(0);
  });
});
