import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import kafkajs, { type Admin, type Kafka, type Producer } from 'kafkajs';
import { linearBackoff, retry, type Clock, type Logger } from '../common/index.js';
import { TOPICS, topicSpec, type TopicCodec, type TopicValues } from '../schemas/index.js';
import type { RecordDecryptor } from './decrypt.js';
import { ReplayConsumerError, ReplayGroupExistsError, ReplayInputError } from './errors.js';

/** Where a replay starts in each partition. */
export type ReplayStart =
  | { readonly kind: 'beginning' }
  /** The same offset in every partition (clamped to what the partition still holds). */
  | { readonly kind: 'offset'; readonly offset: number }
  /** The first record at or after this instant (ms), per partition. */
  | { readonly kind: 'time'; readonly at: number };

/** Where the replayed records go. */
export type ReplayTarget =
  /** NDJSON, one Avro-decoded record a line; encrypted fields stay ciphertext (base64) unless a grant opens them. */
  | { readonly kind: 'file'; readonly path: string }
  /** Another topic (created with the source's partitions when missing), the records' bytes, keys and headers as they are. */
  | { readonly kind: 'topic'; readonly name: string }
  /** A new consumer group whose committed offsets are set to the start: its consumers then re-read from there. */
  | { readonly kind: 'group'; readonly groupId: string };

export interface ReplayOptions {
  readonly kafka: Kafka;
  /** Needed for file output (records are decoded); not used otherwise. */
  readonly codec?: TopicCodec;
  /** Deployment topic prefix (stack.topicPrefix). */
  readonly prefix: string;
  /** Topic name without the prefix, one of schemas/topics.ts (dead-letter topics included). */
  readonly topic: string;
  readonly from: ReplayStart;
  /** Stop at the first record at or after this instant (ms); default: the end of each partition when the replay starts. */
  readonly until?: number;
  readonly target: ReplayTarget;
  /** Only with a file target: opens the granted tenant's ciphertext. */
  readonly decryptor?: RecordDecryptor;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called after each batch with the offsets covered so far and in all. */
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * How often (ms) the replay compares its positions with the partitions' oldest offsets, so
   * records deleted by retention while it runs are counted as expired instead of awaited forever.
   * Default 2,000.
   */
  readonly retentionCheckMs?: number;
}

export interface ReplayResult {
  readonly topic: string;
  /** Per partition: [start, end) offsets replayed. */
  readonly ranges: readonly { partition: number; start: number; end: number }[];
  readonly records: number;
  /** Records a file replay could not decode (written with their raw bytes and the error code). */
  readonly undecodable: number;
  readonly decrypted: number;
  /** Offsets in the ranges that the topic's retention deleted before the replay read them. */
  readonly expired: number;
}

interface Range {
  partition: number;
  start: number;
  end: number;
  /** Next offset to cover. */
  position: number;
  /** A fetched batch of this partition is being written (its offsets are read, not expired). */
  writing: boolean;
}

function checkTopic(options: ReplayOptions): void {
  if (topicSpec(options.topic) === undefined) {
    throw new ReplayInputError(`Unknown topic ${options.topic}; replay one of: ${TOPICS.map((t) => t.name).join(', ')}.`);
  }
  const { target } = options;
  if (target.kind === 'topic') {
    const clash = TOPICS.find((t) => `${options.prefix}${t.name}` === target.name || t.name === target.name);
    if (clash !== undefined) throw new ReplayInputError(`The output topic ${target.name} is a service topic; replay into a topic of your own (e.g. analytics.${options.topic}).`);
  }
  if (options.decryptor !== undefined && target.kind !== 'file') {
    throw new ReplayInputError('Decrypted records only go to a file: plaintext never goes into a topic or a consumer group. Use --to-file with --decrypt.');
  }
  if (target.kind === 'file' && options.codec === undefined) throw new ReplayInputError('A file replay decodes records and needs the topic codec.');
}

/**
 * The partitions' oldest and next offsets. kafkajs' admin gives up at once on a retriable broker
 * answer (a partition whose leader is still loading after a topic's creation or a broker restart
 * answers "not the leader"): a few more tries, then the error as it is.
 */
async function watermarksOf(admin: Admin, topic: string): Promise<Awaited<ReturnType<Admin['fetchTopicOffsets']>>> {
  return retry(() => admin.fetchTopicOffsets(topic), { attempts: 6, delayMs: linearBackoff(250, 1_000), retryIf: (error) => (error as { retriable?: unknown }).retriable === true });
}

async function ranges(admin: Admin, topic: string, from: ReplayStart, until: number | undefined): Promise<Range[]> {
  const watermarks = await watermarksOf(admin, topic);
  const starts = from.kind === 'time' ? await admin.fetchTopicOffsetsByTimestamp(topic, from.at) : null;
  const ends = until === undefined ? null : await admin.fetchTopicOffsetsByTimestamp(topic, until);
  return watermarks
    .map((w) => {
      const low = Number(w.low);
      const high = Number(w.high);
      const wanted = from.kind === 'beginning' ? low : from.kind === 'offset' ? from.offset : Number(starts?.find((s) => s.partition === w.partition)?.offset ?? high);
      const start = Math.min(Math.max(wanted, low), high);
      const endAt = ends === null ? high : Number(ends.find((e) => e.partition === w.partition)?.offset ?? high);
      const end = Math.max(start, Math.min(endAt, high));
      return { partition: w.partition, start, end, position: start, writing: false };
    })
    .sort((a, b) => a.partition - b.partition);
}

/** A new group's offsets set to the start; refused when the group has members or offsets already. */
async function startGroup(admin: Admin, groupId: string, topic: string, parts: readonly Range[]): Promise<void> {
  const described = await admin.describeGroups([groupId]);
  const members = described.groups[0]?.members.length ?? 0;
  const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
  const hasOffsets = committed.some((t) => t.partitions.some((p) => Number(p.offset) >= 0));
  if (members > 0 || hasOffsets) {
    throw new ReplayGroupExistsError(`The consumer group ${groupId} already exists (${members} members${hasOffsets ? ', committed offsets' : ''}); replay into a new group name, so live consumers are never moved.`);
  }
  await admin.setOffsets({ groupId, topic, partitions: parts.map((p) => ({ partition: p.partition, offset: String(p.start) })) });
}

/** JSON of a decoded value: bytes (ciphertext) as {"base64": …}. */
function jsonable(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return { base64: value.toString('base64') };
  if (Array.isArray(value)) return value.map(jsonable);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonable(v)]));
  return typeof value === 'bigint' ? value.toString() : value;
}

interface ReplayedMessage {
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

function headersOf(raw: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    const first = Array.isArray(value) ? (value[0] as unknown) : value;
    if (Buffer.isBuffer(first)) out[name] = first.toString('utf8');
    else if (typeof first === 'string') out[name] = first;
  }
  return out;
}

/** Writes records somewhere; one per target kind. */
interface Sink {
  write(batch: readonly ReplayedMessage[]): Promise<void>;
  close(): Promise<void>;
  readonly undecodable: number;
}

async function fileSink(options: ReplayOptions, path: string): Promise<Sink> {
  const stream: WriteStream = createWriteStream(path, { flags: 'w', mode: 0o600 });
  await once(stream, 'open');
  const codec = options.codec!;
  const spec = topicSpec(options.topic)!;
  let undecodable = 0;
  return {
    get undecodable() {
      return undecodable;
    },
    async write(batch) {
      const lines: string[] = [];
      for (const m of batch) {
        const line: Record<string, unknown> = { topic: options.topic, partition: m.partition, offset: m.offset, timestamp: Number(m.timestamp), key: m.key?.toString('utf8') ?? null, headers: m.headers };
        if (m.value === null) line['value'] = null;
        else if (spec.valueSchema === null) line['value'] = { base64: m.value.toString('base64') };
        else {
          try {
            const value = await codec.decode(options.topic as keyof TopicValues, m.value);
            line['value'] = jsonable(value);
            const plain = options.decryptor === undefined ? null : await options.decryptor.decrypt(options.topic, value);
            if (plain !== null) line['plaintext'] = plain;
          } catch (error) {
            if ((error as { code?: unknown }).code === 'HC_ERR_REPLAY_GRANT') throw error;
            undecodable += 1;
            line['value'] = { base64: m.value.toString('base64') };
            line['error'] = (error as { code?: unknown }).code ?? (error as Error).name;
          }
        }
        lines.push(JSON.stringify(line));
      }
      if (lines.length > 0 && !stream.write(`${lines.join('\n')}\n`)) await once(stream, 'drain');
    },
    async close() {
      stream.end();
      await once(stream, 'finish');
    },
  };
}

async function topicSink(options: ReplayOptions, admin: Admin, name: string, partitions: number): Promise<Sink> {
  const existing = await admin.listTopics();
  if (!existing.includes(name)) {
    // The copies keep their original timestamps: with the broker's default retention, records older
    // than it would be deleted from the new topic at once. It keeps them as long as the source does.
    const source = `${options.prefix}${options.topic}`;
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: source, configNames: ['retention.ms'] }] });
    const retention = described.resources[0]?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue;
    const configEntries = retention === undefined || retention === null ? [] : [{ name: 'retention.ms', value: retention }];
    await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions, configEntries }], waitForLeaders: true });
  }
  // The partition count from metadata (any broker answers it), not from the new partitions' leaders.
  const outPartitions = (await admin.fetchTopicMetadata({ topics: [name] })).topics[0]?.partitions.length ?? partitions;
  const producer: Producer = options.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return {
    undecodable: 0,
    async write(batch) {
      if (batch.length === 0) return;
      await producer.send({
        topic: name,
        messages: batch.map((m) => ({
          key: m.key,
          value: m.value,
          partition: m.partition % outPartitions,
          timestamp: m.timestamp,
          headers: { ...m.headers, 'hycal-replay-source': `${options.prefix}${options.topic}/${m.partition}/${m.offset}` },
        })),
      });
    },
    async close() {
      await producer.disconnect();
    },
  };
}

/**
 * Re-drives a topic from an offset or an instant into a file, another topic or a new consumer
 * group, without disturbing live consumers: it reads in a consumer group of its own that never
 * commits (and is deleted afterwards), and it never moves an existing group. The end of each
 * partition is fixed when the replay starts, so a replay of a busy topic ends.
 */
export async function replayTopic(options: ReplayOptions): Promise<ReplayResult> {
  checkTopic(options);
  const source = `${options.prefix}${options.topic}`;
  const admin = options.kafka.admin();
  await admin.connect();
  try {
    const parts = await ranges(admin, source, options.from, options.until);
    const total = parts.reduce((sum, p) => sum + (p.end - p.start), 0);
    const summary = { topic: options.topic, partitions: parts.length, offsets: total, target: options.target.kind };
    options.logger.info(summary, 'replay: starting');
    if (options.target.kind === 'group') {
      await startGroup(admin, options.target.groupId, source, parts);
      options.onProgress?.(total, total);
      options.logger.info({ ...summary, group: options.target.groupId }, 'replay: group offsets set');
      return { topic: options.topic, ranges: parts.map(({ partition, start, end }) => ({ partition, start, end })), records: 0, undecodable: 0, decrypted: 0, expired: 0 };
    }
    const sink = options.target.kind === 'file' ? await fileSink(options, options.target.path) : await topicSink(options, admin, options.target.name, parts.length);
    let drained = { records: 0, expired: 0 };
    try {
      drained = await drain(options, admin, source, parts, total, sink);
    } finally {
      await sink.close();
    }
    const { records, expired } = drained;
    const result = { topic: options.topic, ranges: parts.map(({ partition, start, end }) => ({ partition, start, end })), records, undecodable: sink.undecodable, decrypted: options.decryptor?.opened ?? 0, expired };
    if (expired > 0) options.logger.warn({ topic: options.topic, expired }, 'replay: the topic\'s retention deleted offsets of the range before the replay read them');
    options.logger.info({ ...summary, records, undecodable: result.undecodable, decrypted: result.decrypted, expired }, 'replay: done');
    return result;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads every range to its end through a private, never-committing consumer group; returns the
 * records written and the offsets retention deleted first. A partition's end is reached by reading
 * or, when retention removed the rest of its range while the replay ran (the consumer then finds
 * nothing more to fetch), by a periodic look at the partition's oldest offset.
 */
async function drain(options: ReplayOptions, admin: Admin, source: string, parts: Range[], total: number, sink: Sink): Promise<{ records: number; expired: number }> {
  const pending = parts.filter((p) => p.end > p.start);
  if (pending.length === 0) {
    options.onProgress?.(0, 0);
    return { records: 0, expired: 0 };
  }
  let expired = 0;
  const groupId = `hycal-replay-${randomBytes(6).toString('hex')}`;
  const byPartition = new Map(pending.map((p) => [p.partition, p]));
  const consumer = options.kafka.consumer({ groupId, maxWaitTimeInMs: 250, allowAutoTopicCreation: false });
  let records = 0;
  const state: { failure: Error | null } = { failure: null };
  const covered = (): number => parts.reduce((sum, p) => sum + (p.position - p.start), 0);
  const finished = (): boolean => pending.every((p) => p.position >= p.end);
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const advance = (partition: number, next: number): void => {
    const range = byPartition.get(partition);
    if (range === undefined) return;
    range.position = Math.min(range.end, Math.max(range.position, next));
    if (range.position >= range.end) consumer.pause([{ topic: source, partitions: [partition] }]);
    options.onProgress?.(covered(), total);
    if (finished()) resolveDone();
  };
  const fail = (error: Error): void => {
    state.failure ??= error;
    resolveDone();
  };
  /** Ranges whose unread offsets retention deleted: counted as expired, the partition moves to its oldest offset. */
  const checkRetention = async (): Promise<void> => {
    const watermarks = await watermarksOf(admin, source);
    for (const w of watermarks) {
      const range = byPartition.get(w.partition);
      const low = Number(w.low);
      if (range === undefined || range.writing || range.position >= range.end || low <= range.position) continue;
      expired += Math.min(low, range.end) - range.position;
      advance(w.partition, low);
    }
  };
  let checking = false;
  const retentionTimer = setInterval(() => {
    if (checking) return;
    checking = true;
    checkRetention()
      .catch((error: unknown) => options.logger.debug({ topic: options.topic, err: (error as Error).name }, 'replay: could not read the partitions\' oldest offsets'))
      .finally(() => (checking = false));
  }, options.retentionCheckMs ?? 2_000);
  await consumer.connect();
  try {
    // Batches of control records only (transaction markers) never reach eachBatch: follow the
    // consumer's own end-of-batch events to see a partition's end.
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      if (event.payload.topic === source) advance(event.payload.partition, Number(event.payload.lastOffset) + 1);
    });
    // A consumer that gives up (retries exhausted, not restarting) would leave the replay waiting forever.
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart) return;
      fail(new ReplayConsumerError(`The replay's consumer stopped on ${source}: ${event.payload.error.name}: ${event.payload.error.message}`, { cause: event.payload.error }));
    });
    await consumer.subscribe({ topics: [source], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const range = byPartition.get(batch.partition);
        if (range === undefined || state.failure !== null || !payload.isRunning()) return;
        // From the partition's position, not its start: offsets below it were written already or
        // counted as expired (a batch fetched before retention deleted them must not count twice).
        const wanted = batch.messages.filter((m) => Number(m.offset) >= range.position && Number(m.offset) < range.end);
        range.writing = true;
        try {
          await sink.write(wanted.map((m) => ({ partition: batch.partition, offset: m.offset, timestamp: m.timestamp, key: m.key ?? null, value: m.value, headers: headersOf(m.headers as Record<string, unknown> | undefined) })));
        } catch (error) {
          fail(error instanceof Error ? error : new Error(String(error)));
          return;
        } finally {
          range.writing = false;
        }
        records += wanted.length;
        advance(batch.partition, Number(batch.lastOffset()) + 1);
        await payload.heartbeat();
      },
    });
    for (const p of parts) {
      if (p.end > p.start) consumer.seek({ topic: source, partition: p.partition, offset: String(p.start) });
      else consumer.pause([{ topic: source, partitions: [p.partition] }]);
    }
    await done;
  } finally {
    clearInterval(retentionTimer);
    await consumer.disconnect();
    await deleteGroup(options, groupId);
  }
  if (state.failure !== null) throw state.failure;
  return { records, expired };
}

/** The replay's own group leaves nothing behind (it never committed; deleting it is tidiness). */
async function deleteGroup(options: ReplayOptions, groupId: string): Promise<void> {
  const admin = options.kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch (error) {
    options.logger.debug({ group: groupId, err: (error as Error).name }, 'replay: could not delete its consumer group');
  } finally {
    await admin.disconnect();
  }
}
