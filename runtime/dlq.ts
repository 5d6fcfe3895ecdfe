import type { Kafka, IHeaders } from 'kafkajs';
import { deadLetterTopicOf, DEAD_LETTER_SUFFIX } from '../schemas/index.js';
import { DeadLetterError } from './errors.js';
import { readTopicLimits } from './record-limits.js';
import { createKeyPartitioner } from './partitioner.js';

/** A dead letter as `hycal dlq list` shows it: where it came from and why it failed. */
export interface DeadLetter {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly timestamp: number;
  readonly valueBytes: number;
  readonly error: { readonly code: string; readonly message: string; readonly attempts: number; readonly processor: string };
  readonly source: { readonly topic: string; readonly partition: number; readonly offset: string };
  /** The original record's own headers (without the hc-* error headers). */
  readonly headers: Readonly<Record<string, string>>;
}

interface RawDeadLetter {
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: string;
  readonly headers: IHeaders;
}

export interface DeadLetterSelection {
  /** Source topic without prefix (its dead-letter topic is `<topic>.dlq.v1`), or the dead-letter topic itself. */
  readonly topic: string;
  readonly prefix?: string;
  readonly limit?: number;
  /** Only these dead letters (`partition:offset` of the dead-letter topic); default all. */
  readonly only?: readonly string[];
}

const ERROR_HEADERS = new Set(['hc-error-code', 'hc-error-message', 'hc-attempts', 'hc-processor', 'hc-source-topic', 'hc-source-partition', 'hc-source-offset', 'hc-failed-at']);

function header(headers: IHeaders, name: string): string {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? '' : first.toString();
}

function dlqTopic(selection: DeadLetterSelection): string {
  const name = selection.topic.endsWith(DEAD_LETTER_SUFFIX) ? selection.topic : deadLetterTopicOf(selection.topic);
  return `${selection.prefix ?? ''}${name}`;
}

/** Where a dead-letter topic ends now: reading stops there (letters that land later are not read). */
async function topicEnds(kafka: Kafka, topic: string): Promise<{ partition: number; high: bigint; low: bigint }[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) throw new DeadLetterError(`No dead-letter topic ${topic}. Check the topic name and HYCAL_TOPIC_PREFIX.`);
    return (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, high: BigInt(p.high), low: BigInt(p.low) }));
  } finally {
    await admin.disconnect();
  }
}

/** Fetch bounds of the dead-letter reader: memory holds at most about this much of the topic. */
const READ_MAX_BYTES = 4 * 1024 * 1024;
const READ_MAX_BYTES_PER_PARTITION = 1024 * 1024;

/**
 * Streams a dead-letter topic from its start to the end it had when the scan began, batch by
 * batch, without joining a group; `onBatch` is awaited before more is read (back-pressure). Stops
 * after `limit` records.
 */
async function scan(kafka: Kafka, topic: string, limit: number, onBatch: (records: RawDeadLetter[]) => Promise<void>): Promise<number> {
  const ends = await topicEnds(kafka, topic);
  const remaining = new Map(ends.filter((p) => p.high > p.low).map((p) => [p.partition, p.high]));
  if (remaining.size === 0 || limit <= 0) return 0;
  let seen = 0;
  const consumer = kafka.consumer({
    groupId: `hycal-dlq-reader-${process.pid}-${Date.now()}`,
    maxWaitTimeInMs: 500,
    maxBytes: READ_MAX_BYTES,
    maxBytesPerPartition: READ_MAX_BYTES_PER_PARTITION,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let done = false;
      consumer
        .run({
          autoCommit: false,
          partitionsConsumedConcurrently: 1,
          eachBatchAutoResolve: false,
          eachBatch: async (payload) => {
            const { batch } = payload;
            if (done) return;
            const high = remaining.get(batch.partition);
            const records: RawDeadLetter[] = [];
            for (const message of batch.messages) {
              payload.resolveOffset(message.offset);
              if (high === undefined || BigInt(message.offset) >= high || seen >= limit) break;
              seen += 1;
              records.push({ partition: batch.partition, offset: message.offset, key: message.key, value: message.value, timestamp: message.timestamp, headers: message.headers ?? {} });
              if (BigInt(message.offset) + 1n >= high) remaining.delete(batch.partition);
            }
            // The end may be a record the fetch filters out (a transaction marker): the batch's last offset says.
            if (high !== undefined && BigInt(batch.lastOffset()) + 1n >= high) remaining.delete(batch.partition);
            if (high === undefined) payload.pause();
            try {
              if (records.length > 0) await onBatch(records);
            } catch (error) {
              done = true;
              reject(error instanceof Error ? error : new Error(String(error)));
              return;
            }
            await payload.heartbeat();
            if (remaining.size === 0 || seen >= limit) {
              done = true;
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

function describe(raw: RawDeadLetter): DeadLetter {
  const own: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw.headers)) {
    if (ERROR_HEADERS.has(name) || name === 'hc-replayed-from' || value === undefined) continue;
    own[name] = (Array.isArray(value) ? value[0] : value)?.toString() ?? '';
  }
  return {
    partition: raw.partition,
    offset: raw.offset,
    key: raw.key?.toString() ?? null,
    timestamp: Number(raw.timestamp),
    valueBytes: raw.value?.length ?? 0,
    error: {
      code: header(raw.headers, 'hc-error-code'),
      message: header(raw.headers, 'hc-error-message'),
      attempts: Number(header(raw.headers, 'hc-attempts') || '0'),
      processor: header(raw.headers, 'hc-processor'),
    },
    source: {
      topic: header(raw.headers, 'hc-source-topic'),
      partition: Number(header(raw.headers, 'hc-source-partition') || '0'),
      offset: header(raw.headers, 'hc-source-offset'),
    },
    headers: own,
  };
}

export async function listDeadLetters(kafka: Kafka, selection: DeadLetterSelection): Promise<DeadLetter[]> {
  const only = selection.only === undefined ? null : new Set(selection.only);
  const out: RawDeadLetter[] = [];
  await scan(kafka, dlqTopic(selection), selection.limit ?? 1_000, (records) => {
    for (const r of records) if (only === null || only.has(`${r.partition}:${r.offset}`)) out.push(r);
    return Promise.resolve();
  });
  return out.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset))).map(describe);
}

/** How a replay goes, reported after every produced chunk (for a progress bar). */
export interface ReplayProgress {
  /** Dead letters read so far (replayed, skipped or filtered out). */
  readonly read: number;
  /** Dead letters the scan will read at most (the topic's size when it started, or the limit). */
  readonly total: number;
  readonly replayed: number;
  readonly skipped: number;
}

export interface ReplayOptions {
  readonly onProgress?: (progress: ReplayProgress) => void;
  /**
   * Largest produce request, bytes. Default: 90 % of the target topic's `max.message.bytes` (the
   * broker's limit), at most 900 KiB.
   */
  readonly maxBatchBytes?: number;
}

export interface ReplayResult {
  readonly replayed: number;
  /** Dead letters whose hc-source-topic header names another topic than the selected one: not produced. */
  readonly skipped: number;
  readonly topics: string[];
  /** Produce requests sent, and the largest of them (bytes, as estimated). */
  readonly batches: number;
  readonly largestBatchBytes: number;
}

const RECORD_OVERHEAD = 64;
const DEFAULT_MAX_BATCH_BYTES = 900 * 1024;

function recordBytes(key: Buffer | null, value: Buffer | null, headers: IHeaders): number {
  let size = RECORD_OVERHEAD + (key?.length ?? 0) + (value?.length ?? 0);
  for (const [name, v] of Object.entries(headers)) {
    for (const one of Array.isArray(v) ? v : [v]) size += name.length + (one === undefined ? 0 : Buffer.byteLength(one)) + 8;
  }
  return size;
}

/** The broker's limit for records of `topic` (its max.message.bytes), or undefined if it cannot say. */
async function topicMaxMessageBytes(kafka: Kafka, topic: string): Promise<number | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) throw new DeadLetterError(`The source topic ${topic} does not exist; dead letters are replayed only to the topic they were selected for.`);
    return (await readTopicLimits(admin, [topic])).get(topic);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Re-drives dead letters: each selected record is produced again to the **selected** source topic
 * (`<topic>`; the dead letter's hc-source-topic header is not trusted: a letter whose header names
 * another topic is skipped and counted) with its original key, bytes and headers (plus
 * `hc-replayed-from`), at the end of the partition. Streams: the dead-letter topic is read batch by
 * batch up to the end it had when the replay began (letters that fail again and land there are not
 * replayed twice) and produced in chunks under the broker's limit, each acknowledged before more is
 * read, so memory stays bounded whatever the number of dead letters. The dead-letter topic is left
 * as it is (Kafka is append-only).
 */
export async function replayDeadLetters(kafka: Kafka, selection: DeadLetterSelection, options: ReplayOptions = {}): Promise<ReplayResult> {
  const topic = dlqTopic(selection);
  const sourceName = selection.topic.endsWith(DEAD_LETTER_SUFFIX) ? selection.topic.slice(0, -DEAD_LETTER_SUFFIX.length) : selection.topic;
  const target = `${selection.prefix ?? ''}${sourceName}`;
  const limit = selection.limit ?? Number.MAX_SAFE_INTEGER;
  const only = selection.only === undefined ? null : new Set(selection.only);
  const brokerLimit = await topicMaxMessageBytes(kafka, target);
  const maxBatchBytes = options.maxBatchBytes ?? Math.min(DEFAULT_MAX_BATCH_BYTES, Math.floor((brokerLimit ?? DEFAULT_MAX_BATCH_BYTES / 0.9) * 0.9));
  const total = Math.min(limit, Number((await topicEnds(kafka, topic)).reduce((sum, p) => sum + (p.high - p.low), 0n)));
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: createKeyPartitioner });
  await producer.connect();
  let read = 0;
  let replayed = 0;
  let skipped = 0;
  let batches = 0;
  let largestBatchBytes = 0;
  const report = (): void => options.onProgress?.({ read, total, replayed, skipped });
  const send = async (messages: { key: Buffer | null; value: Buffer | null; headers: IHeaders }[], bytes: number): Promise<void> => {
    if (messages.length === 0) return;
    try {
      await producer.send({ topic: target, acks: -1, messages });
    } catch (error) {
      throw new DeadLetterError(`Replaying to ${target} failed after ${replayed} record(s): ${(error as Error).name}. Is Kafka up? (hycal stack status) Replaying again re-sends from the start.`, {
        cause: error,
        retryable: true,
      });
    }
    batches += 1;
    largestBatchBytes = Math.max(largestBatchBytes, bytes);
    replayed += messages.length;
  };
  try {
    report();
    await scan(kafka, topic, limit, async (records) => {
      let chunk: { key: Buffer | null; value: Buffer | null; headers: IHeaders }[] = [];
      let chunkBytes = 0;
      for (const raw of records) {
        read += 1;
        if (only !== null && !only.has(`${raw.partition}:${raw.offset}`)) continue;
        const source = header(raw.headers, 'hc-source-topic');
        if (source !== '' && source !== sourceName) {
          skipped += 1;
          continue;
        }
        const headers: IHeaders = { 'hc-replayed-from': `${topic}/${raw.partition}/${raw.offset}` };
        for (const [name, value] of Object.entries(raw.headers)) if (!ERROR_HEADERS.has(name) && name !== 'hc-replayed-from') headers[name] = value;
        const bytes = recordBytes(raw.key, raw.value, headers);
        if (chunk.length > 0 && chunkBytes + bytes > maxBatchBytes) {
          await send(chunk, chunkBytes);
          report();
          chunk = [];
          chunkBytes = 0;
        }
        chunk.push({ key: raw.key, value: raw.value, headers });
        chunkBytes += bytes;
      }
      await send(chunk, chunkBytes);
      report();
    });
  } finally {
    await producer.disconnect();
  }
  if (replayed === 0 && skipped === 0) throw new DeadLetterError(`Nothing to replay in ${topic}${only === null ? '' : ' for the given partition:offset list'}.`);
  return { replayed, skipped, topics: replayed > 0 ? [target] : [], batches, largestBatchBytes };
}
