import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Kafka } from 'kafkajs';
import { BSON, type MongoClient } from 'mongodb';

/**
 * Canary scanning (issue 5, point 6): seed unique strings into everything a person writes
 * (subjects, bodies, locations, addresses), run, then byte-scan every place data can end up — all
 * Kafka topics with a prefix (dead letters included) read from offset 0, every MongoDB collection
 * of the given databases, and the captured log lines — for the canaries in plain UTF-8 and in the
 * encodings a leak may take: UTF-16 (LE/BE), base64 and base64url at every alignment, hex (lower
 * and upper case), and URL-encoded forms. Any hit fails the test with where it was found.
 *
 * Usage in an end-to-end test:
 *
 *   const canaries = new Canaries();
 *   const logs = new LogCapture();                       // pass as the pino destination
 *   const subject = canaries.make('subject');            // seed into Graph events, settings...
 *   ... run the system ...
 *   await expectNoLeaks(canaries, { kafka, topicPrefix, mongo, databases: [db], logs });
 */
export type CanaryKind = 'subject' | 'body' | 'location' | 'address' | 'name' | 'other';

export interface CanaryHit {
  readonly canary: string;
  readonly encoding: string;
  readonly where: string;
}

interface Needle {
  readonly canary: string;
  readonly encoding: string;
  readonly bytes: Buffer;
}

/** The run of base64 characters that encodes `bytes` whatever the bytes before and after it. */
function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset += 1) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const firstFullByte = offset === 0 ? 0 : 3;
    const lastFullByte = Math.floor((offset + bytes.length) / 3) * 3;
    cores.push(encoded.slice((firstFullByte / 3) * 4, (lastFullByte / 3) * 4));
  }
  return cores.filter((core) => core.length >= 8);
}

export class Canaries {
  readonly #values: { kind: CanaryKind; value: string }[] = [];
  readonly #raw: { label: string; bytes: Buffer }[] = [];
  readonly #run = randomBytes(3).toString('hex');

  /** A fresh unique canary, e.g. `cnry7a1b2c-subject-0-9f3e...`; addresses look like addresses. */
  make(kind: CanaryKind): string {
    const token = `cnry${this.#run}x${kind}x${this.#values.length}x${randomBytes(5).toString('hex')}`;
    const value = kind === 'address' ? `${token}@canary.example` : token;
    this.#values.push({ kind, value });
    return value;
  }

  /** Watches a given secret too (a master key, a token): scanned for like any canary. */
  watch(kind: CanaryKind, value: string): string {
    this.#values.push({ kind, value });
    return value;
  }

  /** Watches raw secret bytes (a key): searched for raw, as hex and as base64 at every alignment. */
  watchBytes(label: string, bytes: Buffer): void {
    this.#raw.push({ label, bytes: Buffer.from(bytes) });
  }

  get values(): readonly string[] {
    return this.#values.map((entry) => entry.value);
  }

  /** Every byte pattern searched for. Addresses are searched for by their unique local part too. */
  needles(): Needle[] {
    const needles: Needle[] = [];
    const add = (canary: string, encoding: string, bytes: Buffer): void => {
      needles.push({ canary, encoding, bytes });
    };
    for (const { value } of this.#values) {
      const forms = new Set([value, value.split('@')[0]!]);
      for (const form of forms) {
        const utf8 = Buffer.from(form, 'utf8');
        add(value, 'utf8', utf8);
        add(value, 'utf8-lowercase', Buffer.from(form.toLowerCase(), 'utf8'));
        add(value, 'utf8-uppercase', Buffer.from(form.toUpperCase(), 'utf8'));
        add(value, 'utf16le', Buffer.from(form, 'utf16le'));
        const be = Buffer.from(form, 'utf16le');
        be.swap16();
        add(value, 'utf16be', be);
        add(value, 'hex', Buffer.from(utf8.toString('hex'), 'ascii'));
        add(value, 'hex-upper', Buffer.from(utf8.toString('hex').toUpperCase(), 'ascii'));
        for (const core of base64Cores(utf8)) {
          add(value, 'base64', Buffer.from(core, 'ascii'));
          add(value, 'base64url', Buffer.from(core.replaceAll('+', '-').replaceAll('/', '_'), 'ascii'));
        }
        add(value, 'url-encoded', Buffer.from(encodeURIComponent(form), 'utf8'));
      }
    }
    for (const { label, bytes } of this.#raw) {
      add(label, 'raw', bytes);
      add(label, 'hex', Buffer.from(bytes.toString('hex'), 'ascii'));
      add(label, 'hex-upper', Buffer.from(bytes.toString('hex').toUpperCase(), 'ascii'));
      for (const core of base64Cores(bytes)) {
        add(label, 'base64', Buffer.from(core, 'ascii'));
        add(label, 'base64url', Buffer.from(core.replaceAll('+', '-').replaceAll('/', '_'), 'ascii'));
      }
    }
    return needles;
  }

  /** Scans bytes; returns one hit per (canary, encoding) found. */
  scan(bytes: Buffer, where: string, needles = this.needles()): CanaryHit[] {
    const hits: CanaryHit[] = [];
    for (const needle of needles) {
      if (bytes.includes(needle.bytes)) hits.push({ canary: needle.canary, encoding: needle.encoding, where });
    }
    return hits;
  }

  /**
   * Reads every topic whose name starts with `topicPrefix` from offset 0 to its end (fresh consumer
   * group, uncommitted reads too) and scans keys, values and header values.
   */
  /**
   * `skipTopics`: topics the test itself wrote the canaries to (its inputs). `valueCopiedTopics`:
   * topics whose record values are, by contract, an input record's bytes verbatim (dead letters):
   * only their keys and headers (what the runtime writes itself) are scanned.
   */
  async scanKafka(kafka: Kafka, topicPrefix: string, options: { timeoutMs?: number; skipTopics?: readonly string[]; valueCopiedTopics?: readonly string[] } = {}): Promise<{ hits: CanaryHit[]; records: number; topics: string[] }> {
    const needles = this.needles();
    const admin = kafka.admin();
    await admin.connect();
    let topics: string[];
    const targets = new Map<string, bigint>();
    try {
      topics = (await admin.listTopics()).filter((topic) => topic.startsWith(topicPrefix) && !(options.skipTopics ?? []).includes(topic)).sort();
      for (const topic of topics) {
        for (const partition of await admin.fetchTopicOffsets(topic)) {
          if (BigInt(partition.high) > BigInt(partition.low)) targets.set(`${topic}:${partition.partition}`, BigInt(partition.high) - 1n);
        }
      }
    } finally {
      await admin.disconnect();
    }
    const hits: CanaryHit[] = [];
    let records = 0;
    if (targets.size === 0) return { hits, records, topics };
    const consumer = kafka.consumer({ groupId: `canary-scan-${randomBytes(6).toString('hex')}`, readUncommitted: true, maxWaitTimeInMs: 200 });
    await consumer.connect();
    try {
      const remaining = new Set(targets.keys());
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`canary scan: could not read to the end of ${[...remaining].join(', ')} in time`)),
          options.timeoutMs ?? 60_000,
        );
        const finishIfDone = (): void => {
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        };
        consumer
          .subscribe({ topics: [...new Set([...targets.keys()].map((t) => t.slice(0, t.lastIndexOf(':'))))], fromBeginning: true })
          .then(() =>
            consumer.run({
              autoCommit: false,
              eachMessage: ({ topic, partition, message }) => {
                records += 1;
                const where = `kafka ${topic}[${partition}]@${message.offset}`;
                const copied = (options.valueCopiedTopics ?? []).includes(topic);
                const parts: Buffer[] = [message.key ?? Buffer.alloc(0), copied ? Buffer.alloc(0) : (message.value ?? Buffer.alloc(0))];
                for (const [name, header] of Object.entries(message.headers ?? {})) {
                  parts.push(Buffer.from(name));
                  for (const value of Array.isArray(header) ? header : [header]) {
                    if (value !== undefined) parts.push(Buffer.isBuffer(value) ? value : Buffer.from(value));
                  }
                }
                for (const part of parts) hits.push(...this.scan(part, where, needles));
                const id = `${topic}:${partition}`;
                const last = targets.get(id);
                if (last !== undefined && BigInt(message.offset) >= last) remaining.delete(id);
                finishIfDone();
                return Promise.resolve();
              },
            }),
          )
          .catch((error: unknown) => {
            clearTimeout(timer);
            reject(error instanceof Error ? error : new Error(String(error)));
          });
      });
      await done;
    } finally {
      await consumer.disconnect();
    }
    return { hits, records, topics };
  }

  /** Scans every document of every collection of the given databases, as BSON bytes. */
  async scanMongo(client: MongoClient, databases: readonly string[]): Promise<{ hits: CanaryHit[]; documents: number }> {
    const needles = this.needles();
    const hits: CanaryHit[] = [];
    let documents = 0;
    for (const name of databases) {
      const db = client.db(name);
      for (const { name: collection } of await db.listCollections({}, { nameOnly: true }).toArray()) {
        for await (const doc of db.collection(collection).find({})) {
          documents += 1;
          hits.push(...this.scan(Buffer.from(BSON.serialize(doc)), `mongo ${name}.${collection} _id=${String(doc['_id'])}`, needles));
        }
      }
    }
    return { hits, documents };
  }

  scanLogs(capture: LogCapture): CanaryHit[] {
    return this.scan(Buffer.from(capture.lines.join('\n'), 'utf8'), 'logs');
  }
}

/** A pino destination that keeps every line written, for scanning. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.lines.push(chunk.toString());
    callback();
  }
}

export function formatHits(hits: readonly CanaryHit[]): string {
  return hits.map((hit) => `${hit.canary} (${hit.encoding}) in ${hit.where}`).join('\n');
}

export interface LeakScanTargets {
  readonly kafka?: Kafka;
  readonly topicPrefix?: string;
  readonly mongo?: MongoClient;
  readonly databases?: readonly string[];
  readonly logs?: LogCapture;
}

/**
 * Scans everything given and throws listing every hit. Returns what was scanned so a test can
 * also assert the scan was not vacuous (records and documents seen).
 */
export async function expectNoLeaks(canaries: Canaries, targets: LeakScanTargets): Promise<{ records: number; documents: number; logLines: number }> {
  const hits: CanaryHit[] = [];
  let records = 0;
  let documents = 0;
  if (targets.kafka !== undefined && targets.topicPrefix !== undefined) {
    const scan = await canaries.scanKafka(targets.kafka, targets.topicPrefix);
    hits.push(...scan.hits);
    records = scan.records;
  }
  if (targets.mongo !== undefined && targets.databases !== undefined) {
    const scan = await canaries.scanMongo(targets.mongo, targets.databases);
    hits.push(...scan.hits);
    documents = scan.documents;
  }
  if (targets.logs !== undefined) hits.push(...canaries.scanLogs(targets.logs));
  if (hits.length > 0) throw new Error(`canary leak: ${hits.length} hit(s)\n${formatHits(hits)}`);
  return { records, documents, logLines: targets.logs?.lines.length ?? 0 };
}
