import type { KafkaMessage } from 'kafkajs';
import { WorkAbandonedError } from '../errors.js';
import type { EffectWriter } from '../executor.js';
import type { FlushItem } from '../flusher.js';
import { bucketUpdates } from '../flusher.js';
import type { IndexReader } from '../timers.js';

/** A record the topology wrote (an emit, a raw emit, or a dead letter). */
export interface TestOutput {
  readonly topic: string;
  readonly key: string | null;
  /** The value as the processor emitted it (decoded for `emit`; the bytes for `emitRaw` and dead letters). */
  readonly value: unknown;
  readonly bytes: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

function headerText(headers: FlushItem['messages'][number]['headers']): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name, value.toString()]));
}

/**
 * The in-memory world of the topology test driver: documents by collection and `_id` (with the
 * runtime's version guard), and every record written, in order. Writes apply at once.
 */
export class MemoryWorld implements IndexReader, EffectWriter {
  readonly collections = new Map<string, Map<string, Record<string, unknown>>>();
  readonly outputs: TestOutput[] = [];
  readonly #decode: (topic: string, bytes: Buffer | null) => unknown;
  readonly #refuse: ((item: FlushItem) => unknown) | undefined;

  constructor(decode: (topic: string, bytes: Buffer | null) => unknown, refuse?: (item: FlushItem) => unknown) {
    this.#decode = decode;
    this.#refuse = refuse;
  }

  collection(name: string): Map<string, Record<string, unknown>> {
    let docs = this.collections.get(name);
    if (docs === undefined) {
      docs = new Map();
      this.collections.set(name, docs);
    }
    return docs;
  }

  findById<T extends object>(collection: string, id: string): Promise<T | null> {
    const doc = this.collections.get(collection)?.get(id);
    return Promise.resolve(doc === undefined ? null : (structuredClone(doc) as T));
  }

  submit(item: FlushItem): Promise<void> {
    if (item.fence !== undefined && !item.fence()) return Promise.reject(new WorkAbandonedError('The partition lease was lost.'));
    const refused = this.#refuse?.(item);
    if (refused !== undefined) return Promise.reject(refused instanceof Error ? refused : new Error('refused'));
    for (const message of item.messages) {
      const key = message.key === null ? null : message.key.toString();
      this.outputs.push({ topic: message.topic, key, value: this.#decode(message.topic, message.value), bytes: message.value, headers: headerText(message.headers) });
    }
    for (const write of [...item.views, ...(item.state === null ? [] : [item.state])]) {
      const docs = this.collection(write.collection);
      const seen = docs.get(write.id);
      if (seen !== undefined && (seen['v'] as number) >= write.v) continue;
      docs.set(write.id, write.doc === null ? { _id: write.id, v: write.v, deleted: true } : { ...structuredClone(write.doc), _id: write.id, v: write.v });
    }
    for (const update of bucketUpdates(item.timerIndex, 'exact')) {
      const docs = this.collection(update.collection);
      const doc = docs.get(update.id) ?? { _id: update.id, t: {} };
      const t = { ...(doc['t'] as Record<string, unknown>) };
      for (const [path, due] of Object.entries(update.set)) t[path.slice(2)] = due;
      for (const path of update.unset) delete t[path.slice(2)];
      docs.set(update.id, { ...doc, t });
    }
    return Promise.resolve();
  }
}

/** A Kafka message as the driver hands it to the executor. */
export function testMessage(key: string, value: Buffer | null, offset: number, timestamp: number, headers: Readonly<Record<string, string>>): KafkaMessage {
  return { key: Buffer.from(key), value, offset: String(offset), timestamp: String(timestamp), headers: { ...headers }, attributes: 0, size: 0 } as KafkaMessage;
}
