import type { Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../common/logger.js';
import { registerAvro, TopicCodec, type MeetingOccurrence } from '../../../schemas/index.js';
import { defineTopology, EffectRefusedError, InvalidDocumentError, MongoSink, type GuardedUpsert, type Processor, type Topology } from '../../../runtime/index.js';
import { TopologyTestDriver, type TestCodec } from '../../../runtime/testing/index.js';
import { Canaries, LogCapture, formatHits } from '../../support/canary.js';
import { offlineRegistry } from './registry-stub.js';

function topologyOf(...stages: Processor<never, never>[]): Topology {
  return defineTopology({ name: 'hardening', inputs: [{ topic: 'in.v1' }], stages });
}

function avroCodec(codec: TopicCodec): TestCodec {
  return { encode: (topic, value) => codec.encode(topic, value as never), decode: (topic, bytes) => codec.decode(topic as never, bytes) };
}

function scanAll(canaries: Canaries, driver: TopologyTestDriver, capture: LogCapture): string {
  const letters = Buffer.from(JSON.stringify(driver.allOutputs.map((o) => ({ key: o.key, headers: o.headers }))));
  return formatHits([...canaries.scan(letters, 'dead letters'), ...canaries.scanLogs(capture)]);
}

describe('runtime – no plaintext in dead letters or logs', () => {
  it('dead letters – a processor error that carries a value is written as its name and code only, in headers and logs', async () => {
    const canaries = new Canaries();
    const subject = canaries.make('subject');
    const capture = new LogCapture();
    const logger = createLogger({ name: 'test', level: 'trace', destination: capture });
    const failing: Processor<unknown, never> = {
      name: 'leaky',
      process(record) {
        if (record.key === 'string') throw `could not parse ${subject}` as unknown as Error;
        throw Object.assign(new TypeError(`bad meeting "${subject}"`), { code: 'E_BAD' });
      },
    };
    const driver = new TopologyTestDriver(topologyOf(failing), { logger });
    await driver.pipeInput('in.v1', 'error', {});
    await driver.pipeInput('in.v1', 'string', {});
    const dead = driver.deadLetters('in.v1');
    expect(dead.map((d) => d.headers['hc-error-code'])).toEqual(['TypeError', 'HC_ERR_RUNTIME_PROCESSOR_FAILED']);
    expect(dead[0]!.headers['hc-error-message']).toBe('TypeError (E_BAD): message withheld (not a hybrid-calendar error; it may contain record values)');
    expect(capture.lines.length).toBeGreaterThan(0);
    expect(scanAll(canaries, driver, capture)).toBe('');
  });

  it('dead letters – a mistyped emit (plaintext where the schema wants bytes) names the schema path, never the value', async () => {
    const canaries = new Canaries();
    const subject = canaries.make('subject');
    const capture = new LogCapture();
    const logger = createLogger({ name: 'test', level: 'trace', destination: capture });
    const codec = await new TopicCodec(offlineRegistry().registry).init();
    const mistyped: Processor<unknown, never> = {
      name: 'mistyped',
      process(record, ctx) {
        ctx.emit('calendar.meetings.v1', record.key, { subject } as unknown as MeetingOccurrence);
      },
    };
    const driver = new TopologyTestDriver(topologyOf(mistyped), { logger, codec: avroCodec(codec) });
    await driver.pipeInput('in.v1', 'tenant/mbx', {});
    const [letter] = driver.deadLetters('in.v1');
    expect(letter!.headers['hc-error-code']).toBe('HC_ERR_RECORD_DECODE');
    expect(letter!.headers['hc-error-message']).toMatch(/^A calendar\.meetings\.v1 value does not match its schema at .*subject/);
    expect(driver.outputs('calendar.meetings.v1')).toEqual([]);
    expect(scanAll(canaries, driver, capture)).toBe('');
  });
});

describe('runtime – one bad write never stops a worker', () => {
  it('size – an emit over the topic limit fails only its record (dead letter); the next record flows', async () => {
    const big: Processor<unknown, never> = {
      name: 'big',
      process(record, ctx) {
        ctx.emitRaw('out.v1', record.key, Buffer.alloc(record.key === 'huge' ? 5_000 : 10));
      },
    };
    const driver = new TopologyTestDriver(topologyOf(big), { options: { maxRecordBytes: 2_048 } });
    await driver.pipeInput('in.v1', 'huge', {});
    await driver.pipeInput('in.v1', 'small', {});
    expect(driver.deadLetters('in.v1').map((d) => [d.key, d.headers['hc-error-code']])).toEqual([['huge', 'HC_ERR_RUNTIME_RECORD_TOO_LARGE']]);
    expect(driver.outputs('out.v1').map((o) => o.key)).toEqual(['small']);
  });

  it('size – a dead letter stays under the limit: headers are capped, the original headers dropped when needed, saying so', async () => {
    const failing: Processor<unknown, never> = { name: 'failing', process: () => { throw new TypeError('x'); } };
    const driver = new TopologyTestDriver(topologyOf(failing), { options: { maxRecordBytes: 8_192 } });
    const headers = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`h${i}`, 'v'.repeat(500)]));
    await driver.pipeInput('in.v1', 'k', {}, { raw: Buffer.alloc(4_000), headers });
    const [letter] = driver.deadLetters('in.v1');
    const size = letter!.bytes!.length + Object.entries(letter!.headers).reduce((sum, [name, value]) => sum + name.length + value.length + 8, 70 + 1);
    expect(size).toBeLessThanOrEqual(8_192);
    expect(letter!.headers['hc-headers-dropped']).toBe('40');
    expect(letter!.bytes!.length).toBe(4_000);
  });

  it('refused – a record whose effects the broker refuses for good is dead-lettered alone; other keys go on', async () => {
    const pass: Processor<unknown, never> = { name: 'pass', process: (record, ctx) => ctx.emitRaw('out.v1', record.key, Buffer.from('v')) };
    const driver = new TopologyTestDriver(topologyOf(pass), {
      refuseWrite: (item) => (item.messages.some((m) => m.topic === 'out.v1' && m.key === 'bad') ? new EffectRefusedError('refused (test)') : undefined),
    });
    for (const key of ['a', 'bad', 'b']) await driver.pipeInput('in.v1', key, {});
    expect(driver.outputs('out.v1').map((o) => o.key)).toEqual(['a', 'b']);
    expect(driver.deadLetters('in.v1').map((d) => [d.key, d.headers['hc-error-code']])).toEqual([['bad', 'HC_ERR_RUNTIME_EFFECT_REFUSED']]);
  });

  it('views – a view version that is not a finite number (a wrong-shape value: seq "x") fails only its record, at upsert time; other keys go on', async () => {
    // FerretDB closes the connection on a NaN version: reaching the flusher, it looked like an outage
    // and held every partition while the cycle (and its dead letters) was written again and again.
    const ledger: Processor<{ seq: number }, { n: number }> = {
      name: 'ledger',
      process(record, ctx) {
        const n = record.value.seq;
        ctx.state.set({ n });
        ctx.views.upsert('ledger', ctx.key, n * 1_000, { n });
        if (n === 2) ctx.views.remove('ledger', `${ctx.key}-old`, Number.POSITIVE_INFINITY);
      },
    };
    const topology = defineTopology({ name: 'hardening', inputs: [{ topic: 'in.v1', decode: (bytes) => JSON.parse(bytes.toString('utf8')) as { seq: number } }], stages: [ledger] });
    const driver = new TopologyTestDriver(topology);
    await driver.pipeRaw('in.v1', 'poison', Buffer.from('{"seq":"x","amount":null}'));
    await driver.pipeRaw('in.v1', 'good', Buffer.from('{"seq":1}'));
    await driver.pipeRaw('in.v1', 'removal', Buffer.from('{"seq":2}'));
    expect(driver.deadLetters('in.v1').map((d) => [d.key, d.headers['hc-error-code'], d.headers['hc-processor']])).toEqual([
      ['poison', 'HC_ERR_RUNTIME_INVALID_DOCUMENT', 'ledger'],
      ['removal', 'HC_ERR_RUNTIME_INVALID_DOCUMENT', 'ledger'],
    ]);
    expect(driver.view('ledger', 'poison')).toBeUndefined();
    expect(driver.state('poison', 'ledger')).toBeUndefined();
    expect(driver.view('ledger', 'good')).toMatchObject({ n: 1, v: 1_000 });
  });

  it('views – the sink refuses a non-finite version for good, without sending it to the store (it would drop the connection)', async () => {
    const sent: unknown[] = [];
    const db = { collection: () => ({ replaceOne: (...args: unknown[]) => Promise.resolve(sent.push(args)) }) } as unknown as Db;
    const sink = new MongoSink(db);
    await expect(sink.upsertGuarded([{ collection: 'ledger', id: 'a', v: 1, doc: {} }, { collection: 'ledger', id: 'b', v: Number.NaN, doc: {} }])).rejects.toBeInstanceOf(InvalidDocumentError);
    expect(sent).toEqual([]);
    await expect(sink.upsertGuarded([{ collection: 'ledger', id: 'a', v: 1, doc: {} }])).resolves.toEqual({ applied: 1, stale: 0 });
  });

  it('views – bulks run at most bulkInFlight at a time; after a failed bulk none starts, and the error comes once the ones in flight have ended', async () => {
    let inFlight = 0;
    let most = 0;
    const started: string[] = [];
    const ended: string[] = [];
    const db = {
      collection: (name: string) => ({
        bulkWrite: async (ops: { replaceOne: { filter: { _id: string } } }[]) => {
          const first = `${name}/${ops[0]!.replaceOne.filter._id}`;
          started.push(first);
          inFlight += 1;
          most = Math.max(most, inFlight);
          // The bulk starting with d/a fails at once; the others take a while.
          await new Promise((resolve) => setTimeout(resolve, first === 'd/a' ? 1 : 20));
          inFlight -= 1;
          ended.push(first);
          if (first === 'd/a') throw Object.assign(new Error('disk full'), { code: 14_031 });
          return {};
        },
      }),
    } as unknown as Db;
    const ops = (collection: string, n: number): GuardedUpsert[] => Array.from({ length: n }, (_, i) => ({ collection, id: String.fromCharCode(97 + i), v: 1, doc: {} }));
    const sink = new MongoSink(db, { mode: 'bulk', bulkMaxOps: 2, bulkInFlight: 3 });
    expect(await sink.upsertGuarded([...ops('c', 6), ...ops('e', 2)])).toEqual({ applied: 8, stale: 0 });
    expect(most).toBe(3);
    started.length = 0;
    ended.length = 0;
    // c/a, c/c, d/a start; d/a fails: c/a and c/c end, and nothing after them starts.
    await expect(sink.upsertGuarded([...ops('c', 4), ...ops('d', 2), ...ops('e', 4)])).rejects.toThrow();
    expect(started).toEqual(['c/a', 'c/c', 'd/a']);
    expect([...ended].sort()).toEqual(['c/a', 'c/c', 'd/a']);
    expect(inFlight).toBe(0);
  });

  it('timers – a timer whose handler fails for good lands in the failed-timer collection and is counted, not only logged', async () => {
    const alarm: Processor<unknown, { n: number }> = {
      name: 'alarm',
      process: (_record, ctx) => {
        ctx.schedule(ctx.clock.now() + 1_000, { why: 'check' }, 'check');
      },
      onTimer: () => {
        throw new RangeError('boom');
      },
    };
    const driver = new TopologyTestDriver(topologyOf(alarm));
    await driver.pipeInput('in.v1', 'k', {});
    await driver.advanceTime(5_000);
    expect(driver.timers('k')).toEqual([]);
    expect(driver.failedTimers()).toMatchObject([{ key: 'k', stage: 'alarm', timerId: 'check', code: 'RangeError', payload: { why: 'check' } }]);
    const failed = await driver.metrics.registry.getSingleMetric('hycal_runtime_timers_failed_total')!.get();
    expect(failed.values.reduce((sum, v) => sum + v.value, 0)).toBe(1);
  });
});

describe('runtime – schema registry outages and schema evolution', () => {
  it('registry – an unreachable registry makes the record wait (no dead letter) and it is processed once the registry answers', async () => {
    const stub = offlineRegistry();
    const codec = await new TopicCodec(stub.registry).init();
    const bytes = await codec.encode('presence.v1', { tenantId: 't', userId: 'u', outOfOffice: true, since: 1, until: null, version: 1, updatedAt: 2 });
    const seen: unknown[] = [];
    const sink: Processor<unknown, never> = { name: 'sink', process: (record) => { seen.push(record.value); } };
    const topology = defineTopology({ name: 'registry', inputs: [{ topic: 'presence.v1' }], stages: [sink] });
    // More failures than retry.maxAttempts: only a wait for recovery gets through them.
    const driver = new TopologyTestDriver(topology, { codec: avroCodec(codec), options: { retry: { maxAttempts: 3 } } });
    stub.failLookups(12);
    await driver.pipeRaw('presence.v1', 't/u', bytes);
    expect(driver.deadLetters('presence.v1')).toEqual([]);
    expect(seen).toMatchObject([{ tenantId: 't', userId: 'u', version: 1 }]);
    expect(stub.lookups()).toBe(13);
  });

  it('registry – records written with v1 and v2 of a topic schema reach the processor in the shape of the current schema', async () => {
    const stub = offlineRegistry();
    const v1 = { type: 'record', name: 'Evolving', namespace: 'test', fields: [{ name: 'id', type: 'string' }, { name: 'count', type: 'int' }] };
    const v2 = { ...v1, fields: [...v1.fields, { name: 'note', type: ['null', 'string'], default: null }] };
    const v1Id = await registerAvro(stub.registry, 'evolve.v1-value', v1);
    const v2Id = await registerAvro(stub.registry, 'evolve.v1-value', v2);
    const written1 = await stub.registry.encode(v1Id, { id: 'a', count: 1 });
    const written2 = await stub.registry.encode(v2Id, { id: 'b', count: 2, note: 'hello' });
    const codec = await new TopicCodec(stub.registry, { topics: [], readerSchemas: { 'evolve.v1': v2 } }).init();
    const seen: unknown[] = [];
    const sink: Processor<unknown, never> = { name: 'sink', process: (record) => { seen.push(record.value); } };
    const topology = defineTopology({ name: 'evolve', inputs: [{ topic: 'evolve.v1' }], stages: [sink] });
    const driver = new TopologyTestDriver(topology, { codec: avroCodec(codec) });
    await driver.pipeRaw('evolve.v1', 'a', written1);
    await driver.pipeRaw('evolve.v1', 'b', written2);
    expect(seen.map((v) => ({ ...(v as object) }))).toEqual([{ id: 'a', count: 1, note: null }, { id: 'b', count: 2, note: 'hello' }]);
  });
});
