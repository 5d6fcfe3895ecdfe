import { randomBytes } from 'node:crypto';
import type { ICustomPartitioner, PartitionerArgs } from 'kafkajs';

/**
 * The partitioner of the runtime's producers: kafkajs's DefaultPartitioner (Java's murmur2 key
 * hash, so a key lands on the partition every Kafka client picks) computed in 32-bit integer
 * arithmetic. kafkajs computes the same hash with a 64-bit `Long` object per operation and filters
 * the partition list per message: about 3 µs of CPU per message produced, a tenth of the runtime's
 * whole cost per record in the no-op benchmark. Only the low 32 bits of kafkajs's products and
 * XORs ever reach its result, and `Math.imul` gives exactly those, so the partitions are the same
 * (test/unit/runtime/partitioner.test.ts checks it against kafkajs for arbitrary keys).
 *
 * As kafkajs's: a message's own `partition` wins; a keyed message goes to
 * `(murmur2(key) & 0x7fffffff) % partitions`; a message without a key goes round robin over the
 * partitions that have a leader.
 */
export const createKeyPartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }: PartitionerArgs): number => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const key = message.key;
    if (key !== null && key !== undefined) return (murmur2(key) & 0x7fffffff) % partitionMetadata.length;
    const counter = (counters.get(topic) ?? randomBytes(4).readUInt32BE(0)) + 1;
    counters.set(topic, counter);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    if (available.length > 0) return (available[(counter & 0x7fffffff) % available.length] as { partitionId: number }).partitionId;
    return (counter & 0x7fffffff) % partitionMetadata.length;
  };
};

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
/** String keys are encoded here instead of into a new Buffer each (UTF-8 takes at most 3 bytes per UTF-16 unit). */
let scratch = Buffer.allocUnsafe(1_024);

/** Kafka's murmur2 of a key (a string is hashed as its UTF-8 bytes), as a signed 32-bit integer. */
export function murmur2(key: Buffer | string): number {
  let data: Buffer;
  let length: number;
  if (typeof key === 'string') {
    if (key.length * 3 > scratch.length) scratch = Buffer.allocUnsafe(key.length * 3);
    data = scratch;
    length = scratch.write(key, 0, 'utf8');
  } else {
    data = key;
    length = key.length;
  }
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = (data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= (data[whole + 2] as number) << 16;
  if (rest >= 2) h ^= (data[whole + 1] as number) << 8;
  if (rest >= 1) h = Math.imul(h ^ (data[whole] as number), M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}
