import fc from 'fast-check';
import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createKeyPartitioner, murmur2 } from '../../../runtime/index.js';

const metadata = (count: number, leaderless: readonly number[] = []): PartitionerArgs['partitionMetadata'] =>
  Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: leaderless.includes(partitionId) ? -1 : 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));

describe('runtime – the producers\' key partitioner', () => {
  it('partitioner – every key (strings of any Unicode, bytes, long keys) lands on the partition kafkajs\'s DefaultPartitioner picks', () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    const ours = createKeyPartitioner();
    const key = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 2_000 }), fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)));
    fc.assert(fc.property(key, fc.integer({ min: 1, max: 64 }), (k, count) => {
      const args = { topic: 't', partitionMetadata: metadata(count), message: { key: k, value: null } };
      expect(ours(args)).toBe(kafkajs(args));
    }), { numRuns: 2_000 });
  });

  it('partitioner – murmur2 gives the values Kafka\'s Java client gives (its test vectors)', () => {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2
    const vectors: [string, number][] = [['21', -973932308], ['foobar', -790332482], ['a-little-bit-long-string', -985981536], ['a-little-bit-longer-string', -1486304829], ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971], ['abc', 479470107]];
    for (const [text, hash] of vectors) expect(murmur2(Buffer.from(text))).toBe(hash);
  });

  it('partitioner – a message\'s own partition wins; a message without a key goes round robin over the partitions that have a leader', () => {
    const ours = createKeyPartitioner();
    expect(ours({ topic: 't', partitionMetadata: metadata(6), message: { key: 'k', value: null, partition: 4 } })).toBe(4);
    const seen = new Set<number>();
    for (let i = 0; i < 12; i += 1) seen.add(ours({ topic: 't', partitionMetadata: metadata(4, [1, 3]), message: { key: null, value: null } }));
    expect([...seen].sort()).toEqual([0, 2]);
  });
});
