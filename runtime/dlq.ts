import type { Kafka, IHeaders } from 'kafkajs';
import { deadLetterTopicOf, DEAD_LETTER_SUFFIX } from '../schemas/index.js';
import { DeadLetterError } from './errors.js';

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

/** Reads a dead-letter topic from its start to its current end, without joining a group. */
async function readAll(kafka: Kafka, topic: string, limit: number): Promise<RawDeadLetter[]> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: { partition: number; high: string; low: string }[];
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) throw new DeadLetterError(`No dead-letter topic ${topic}. Check the topic name and HYCAL_TOPIC_PREFIX.`);
    ends = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  const wanted = ends.filter((p) => BigInt(p.high) > BigInt(p.low));
  if (wanted.length === 0) return [];
  const remaining = new Map(wanted.map((p) => [p.partition, BigInt(p.high)]));
  const out: RawDeadLetter[] = [];
  const consumer = kafka.consumer({ groupId: `hycal-dlq-reader-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 500 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const high = remaining.get(partition);
            if (high !== undefined && BigInt(message.offset) < high && out.length < limit) {
              out.push({ partition, offset: message.offset, key: message.key, value: message.value, timestamp: message.timestamp, headers: message.headers ?? {} });
            }
            if (high !== undefined && BigInt(message.offset) + 1n >= high) remaining.delete(partition);
            if (remaining.size === 0 || out.length >= limit) resolve();
            await Promise.resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
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
  const raws = await readAll(kafka, dlqTopic(selection), selection.limit ?? 1_000);
  const only = selection.only === undefined ? null : new Set(selection.only);
  return raws.filter((r) => only === null || only.has(`${r.partition}:${r.offset}`)).map(describe);
}

/**
 * Re-drives dead letters: each selected record is produced again to its source topic with its
 * original key, bytes and headers (plus `hc-replayed-from`), at the end of the partition. The
 * dead-letter topic is left as it is (Kafka is append-only); a replayed record that fails again
 * lands there again with a new offset.
 */
export async function replayDeadLetters(kafka: Kafka, selection: DeadLetterSelection): Promise<{ replayed: number; topics: string[] }> {
  const topic = dlqTopic(selection);
  const raws = await readAll(kafka, topic, selection.limit ?? Number.MAX_SAFE_INTEGER);
  const only = selection.only === undefined ? null : new Set(selection.only);
  const chosen = raws.filter((r) => only === null || only.has(`${r.partition}:${r.offset}`));
  if (chosen.length === 0) throw new DeadLetterError(`Nothing to replay in ${topic}${only === null ? '' : ' for the given partition:offset list'}.`);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const targets = new Set<string>();
  try {
    const byTopic = new Map<string, { key: Buffer | null; value: Buffer | null; headers: IHeaders }[]>();
    for (const raw of chosen) {
      const source = header(raw.headers, 'hc-source-topic');
      if (source === '') throw new DeadLetterError(`Dead letter ${raw.partition}:${raw.offset} of ${topic} has no hc-source-topic header; it cannot be replayed.`);
      const target = `${selection.prefix ?? ''}${source}`;
      targets.add(target);
      const headers: IHeaders = { 'hc-replayed-from': `${topic}/${raw.partition}/${raw.offset}` };
      for (const [name, value] of Object.entries(raw.headers)) if (!ERROR_HEADERS.has(name) && name !== 'hc-replayed-from') headers[name] = value;
      const list = byTopic.get(target) ?? [];
      list.push({ key: raw.key, value: raw.value, headers });
      byTopic.set(target, list);
    }
    await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([target, messages]) => ({ topic: target, messages })) });
  } catch (error) {
    if (error instanceof DeadLetterError) throw error;
    throw new DeadLetterError(`Replaying to the source topic failed: ${(error as Error).message}. Is Kafka up? (hycal stack status)`, { cause: error, retryable: true });
  } finally {
    await producer.disconnect();
  }
  return { replayed: chosen.length, topics: [...targets] };
}
