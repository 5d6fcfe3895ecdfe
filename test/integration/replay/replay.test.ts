import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs, { type Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, ManualClock } from '../../../common/index.js';
import { Keyring, MemoryDataKeyStore, MemoryTenantKeyStore, TenantKeyVault } from '../../../kms/index.js';
import { encryptMeeting } from '../../../processors/encrypt/index.js';
import { grantedDecryptor, parseKeyGrant, replayTopic, ReplayGroupExistsError, ReplayInputError } from '../../../replay/index.js';
import { createSchemaRegistry, TopicCodec, type ParsedMeeting } from '../../../schemas/index.js';
import { Canaries, formatHits, LogCapture } from '../../support/canary.js';
import { buildParsedMeeting } from '../../support/parsed-meetings.js';
import { readTopic, testKafka, testStack, uniqueName, withAdmin, within } from '../../support/stack.js';

/**
 * Issue 17 point 3: `hycal replay` on the real stack. calendar.meetings.v1 of two tenants, written
 * in two waves (old, new); a live consumer group has read everything. Replays go to a file (from a
 * time, ciphertext stays ciphertext), to a file with a key grant (only the granted tenant opens),
 * to another topic and to a new consumer group; the live group's offsets never move.
 */

const TOPIC = 'calendar.meetings.v1';

interface Row {
  readonly timestamp: number;
  readonly value: { tenantId: string; meetingId: string; start: number; subject: { base64: string } };
  readonly plaintext?: { subject: string };
}
const OLD = Date.UTC(2026, 10, 1, 8, 0, 0);
const NEW = Date.UTC(2026, 10, 2, 8, 0, 0);
const PER_WAVE = { 'tenant-a': 12, 'tenant-b': 6 } as const;

describe('replay', () => {
  const prefix = `${uniqueName('replay')}.`;
  const source = `${prefix}${TOPIC}`;
  const clock = new ManualClock(Date.UTC(2026, 10, 3, 9, 0, 0));
  const canaries = new Canaries();
  const capture = new LogCapture();
  const logger = createLogger({ name: 'replay-test', destination: capture });
  let kafka: Kafka;
  let codec: TopicCodec;
  let keyring: Keyring;
  let dir: string;
  const subjects = new Map<string, string>();
  const liveGroup = uniqueName('live');

  beforeAll(async () => {
    kafka = testKafka();
    dir = await mkdtemp(join(tmpdir(), 'hycal-replay-'));
    const vault = new TenantKeyVault({ masterKey: randomBytes(32), store: new MemoryTenantKeyStore(), clock });
    keyring = new Keyring({ store: new MemoryDataKeyStore(), providers: { cloud: vault }, clock });
    // The waves carry fixed past timestamps (November 2026); without retention.ms=-1 the broker's
    // retention check (every 60 s on the local stack, 7 days by default) deletes them once the
    // calendar passes 8 November, in the middle of a test.
    await withAdmin((admin) => admin.createTopics({ topics: [{ topic: source, numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '-1' }] }], waitForLeaders: true }));
    codec = await new TopicCodec(createSchemaRegistry(testStack().schemaRegistryUrl), { prefix }).init();
    const producer = kafka.producer();
    await producer.connect();
    for (const at of [OLD, NEW]) {
      const messages = [];
      for (const [tenantId, count] of Object.entries(PER_WAVE)) {
        for (let i = 0; i < count; i += 1) {
          const parsed: ParsedMeeting = buildParsedMeeting(canaries, { tenantId, mailboxId: `mbx-${i % 4}`, start: at + i * 3_600_000 });
          subjects.set(parsed.meetingId, parsed.sensitive.subject!);
          const value = await codec.encode(TOPIC, await encryptMeeting(parsed, keyring));
          messages.push({ key: `${tenantId}/${parsed.mailboxId}`, value, timestamp: String(at + i) });
        }
      }
      await producer.send({ topic: source, messages });
    }
    await producer.disconnect();
    // A live consumer group that has read (and committed) everything.
    const live = kafka.consumer({ groupId: liveGroup, maxWaitTimeInMs: 100 });
    await live.connect();
    await live.subscribe({ topics: [source], fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve) => {
      void live.run({
        eachMessage: () => {
          seen += 1;
          if (seen === 36) resolve();
          return Promise.resolve();
        },
      });
    });
    await live.disconnect();
  });

  afterAll(async () => {
    await withAdmin(async (admin) => {
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
      await admin.deleteTopics({ topics }).catch(() => undefined);
    });
    await rm(dir, { recursive: true, force: true });
  });

  const liveOffsets = () => withAdmin((admin) => admin.fetchOffsets({ groupId: liveGroup, topics: [source] }));
  const lines = async (path: string) => (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Row);

  it('replay – a file from a time holds the newer records, Avro-decoded, their sensitive fields still ciphertext; the live group does not move', async () => {
    const before = await liveOffsets();
    const path = join(dir, 'from-time.ndjson');
    let lastProgress: [number, number] = [0, -1];
    const result = await replayTopic({ kafka, codec, prefix, topic: TOPIC, from: { kind: 'time', at: NEW }, target: { kind: 'file', path }, clock, logger, onProgress: (d, t) => (lastProgress = [d, t]) });
    expect(result.records).toBe(18);
    expect(lastProgress).toEqual([18, 18]);
    const rows = await lines(path);
    expect(rows).toHaveLength(18);
    expect(rows.every((r) => r.timestamp >= NEW && r.value.start >= NEW)).toBe(true);
    expect(rows.every((r) => typeof r.value.subject.base64 === 'string' && r.plaintext === undefined)).toBe(true);
    const hits = canaries.scan(await readFile(path), 'replay file');
    expect(hits, formatHits(hits)).toHaveLength(0);
    expect(await liveOffsets()).toEqual(before);
  });

  it('replay – with a key grant only the granted tenant\'s records open; the grant use is in the log without secrets', async () => {
    const grantText = JSON.stringify({ tenantId: 'tenant-a', purpose: 'analytics backfill INC-42', grantedBy: 'security-officer', expiresAt: '2026-11-04T00:00:00Z' });
    const grant = parseKeyGrant(grantText, clock.now());
    const decryptor = grantedDecryptor({ keyring, grant, topic: TOPIC, clock, logger });
    const path = join(dir, 'decrypted.ndjson');
    const result = await replayTopic({ kafka, codec, prefix, topic: TOPIC, from: { kind: 'beginning' }, target: { kind: 'file', path }, decryptor, clock, logger });
    decryptor.close();
    expect(result.records).toBe(36);
    expect(result.decrypted).toBe(24);
    const rows = await lines(path);
    for (const row of rows) {
      if (row.value.tenantId === 'tenant-a') expect(row.plaintext?.subject).toBe(subjects.get(row.value.meetingId));
      else expect(row.plaintext).toBeUndefined();
    }
    const audit = capture.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['audit'] === 'key-grant');
    expect(audit.map((l) => l['event'])).toEqual(['grant-used', 'grant-closed']);
    expect(audit[0]).toMatchObject({ tenantId: 'tenant-a', purpose: 'analytics backfill INC-42', grantedBy: 'security-officer', grant: grant.fingerprint, topic: TOPIC });
    expect(audit[1]).toMatchObject({ opened: 24, notCovered: 12 });
    const hits = canaries.scanLogs(capture);
    expect(hits, formatHits(hits)).toHaveLength(0);
  });

  it('replay – into another topic copies bytes, keys and headers from an offset; into a new group sets its offsets, and an existing group is refused', async () => {
    const before = await liveOffsets();
    const out = `${prefix}analytics.meetings`;
    const copied = await replayTopic({ kafka, prefix, topic: TOPIC, from: { kind: 'offset', offset: 2 }, target: { kind: 'topic', name: out }, clock, logger });
    expect(copied.records).toBe(36 - 3 * 2);
    const records = await readTopic(kafka, out, copied.records);
    expect(records.every((r) => r.headers['hycal-replay-source']?.startsWith(`${source}/`))).toBe(true);
    // Created with the source's retention, so the copies (timestamps of November) are not deleted at once.
    const [outConfig] = (await withAdmin((admin) => admin.describeConfigs({ includeSynonyms: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: out, configNames: ['retention.ms'] }] }))).resources;
    expect(outConfig!.configEntries.find((e) => e.configName === 'retention.ms')?.configValue).toBe('-1');
    const decoded = await Promise.all(records.map((r) => codec.decode(TOPIC, r.value!)));
    expect(decoded.every((m) => subjects.has(m.meetingId) && Buffer.isBuffer(m.subject))).toBe(true);

    const group = uniqueName('analytics');
    const set = await replayTopic({ kafka, prefix, topic: TOPIC, from: { kind: 'time', at: NEW }, target: { kind: 'group', groupId: group }, clock, logger });
    const committed = await withAdmin((admin) => admin.fetchOffsets({ groupId: group, topics: [source] }));
    expect(committed[0]!.partitions.map((p) => Number(p.offset)).sort()).toEqual(set.ranges.map((r) => r.start).sort());
    expect(set.ranges.reduce((s, r) => s + r.end - r.start, 0)).toBe(18);
    await expect(replayTopic({ kafka, prefix, topic: TOPIC, from: { kind: 'beginning' }, target: { kind: 'group', groupId: liveGroup }, clock, logger })).rejects.toBeInstanceOf(ReplayGroupExistsError);
    await expect(replayTopic({ kafka, prefix, topic: TOPIC, from: { kind: 'beginning' }, target: { kind: 'topic', name: source }, clock, logger })).rejects.toBeInstanceOf(ReplayInputError);
    expect(await liveOffsets()).toEqual(before);
  });

  it('replay – records the topic\'s retention deletes while a replay runs are reported as expired and the replay still ends', async () => {
    // A topic of its own, 6,000 undecodable records in 60 producer batches (several fetches). The
    // replay writes into a FIFO the test does not read yet, so it stalls inside its first batch;
    // meanwhile the partition's oldest offset moves to its end (deleteRecords does what retention
    // does). Every offset must end up either written or counted as expired, and the replay must end.
    const expPrefix = `${uniqueName('replay-exp')}.`;
    const topic = `${expPrefix}${TOPIC}`;
    const TOTAL = 6_000;
    await withAdmin((admin) => admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '-1' }] }], waitForLeaders: true }));
    try {
      const producer = kafka.producer();
      await producer.connect();
      for (let sent = 0; sent < TOTAL; sent += 100) {
        await producer.send({ topic, messages: Array.from({ length: 100 }, () => ({ key: 'tenant-a/mbx-0', value: randomBytes(500) })) });
      }
      await producer.disconnect();
      const fifo = join(dir, 'expired.fifo');
      execFileSync('mkfifo', [fifo]);
      // Where the run is, for the failure message should a step never end (CI saw one time out once).
      const seen = { stage: 'replay started', progress: [0, 0] as [number, number] };
      const stage = <T>(name: string, step: Promise<T>): Promise<T> => {
        seen.stage = name;
        return within(60_000, () => `${name} (replay progress ${seen.progress.join('/')}; replay log: ${capture.lines.slice(-5).join(' | ')})`, step);
      };
      const replay = replayTopic({ kafka, codec, prefix: expPrefix, topic: TOPIC, from: { kind: 'beginning' }, target: { kind: 'file', path: fifo }, clock, logger, retentionCheckMs: 200, onProgress: (done, total) => (seen.progress = [done, total]) });
      replay.catch(() => undefined); // awaited below; a failure before then must not be unhandled
      const reader = createReadStream(fifo);
      await stage('the first written batch', once(reader, 'readable')); // the replay is writing its first batch
      await stage('deleting the records', withAdmin(async (admin) => {
        await admin.fetchTopicMetadata({ topics: [topic] });
        await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '-1' }] });
      }));
      let bytes = '';
      reader.setEncoding('utf8');
      reader.on('data', (chunk) => (bytes += String(chunk)));
      const ended = once(reader, 'end');
      const result = await stage('the replay', replay);
      await stage('the end of the file', ended);
      const written = bytes.trim().split('\n').length;
      expect(result.records).toBe(written);
      expect(result.records).toBeGreaterThan(0);
      expect(result.expired).toBeGreaterThan(0);
      expect(result.records + result.expired).toBe(TOTAL);
      const warned = capture.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'replay: the topic\'s retention deleted offsets of the range before the replay read them');
      expect(warned.at(-1)).toMatchObject({ expired: result.expired });
    } finally {
      await withAdmin((admin) => admin.deleteTopics({ topics: [topic] })).catch(() => undefined);
    }
  });
});
