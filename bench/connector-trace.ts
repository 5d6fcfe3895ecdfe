/**
 * Where a webhook answer's time goes (issue 13, point 11(b)): `node --import tsx
 * bench/connector-trace.ts [--rate 2000] [--seconds 20]` runs the connector's receiver on Kafka
 * (as `npm run bench -- connector` does) under the same open-loop load, stamps every request at
 * each phase and prints, per phase, p50/p99 and its share of the slowest 1 % of answers:
 * receive (onRequest) → parsed (body read, JSON) → lookup start → lookup end → sink (clientState
 * checked, record built) → encoded (Avro) → produce (the kafkajs send that carried it began) →
 * ack (that send resolved) → settled (the sink's promise) → answered (onResponse). Also the
 * event loop's delay and the produce requests' sizes and round trips. `--lanes L` gives the sink
 * L producers, `--mailboxes N` spreads the records over N keys. A diagnostic, not a suite.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyRequest } from 'fastify';
import type { Producer } from 'kafkajs';
import { systemClock } from '../common/index.js';
import { buildWebhookApp, clientStateHash } from '../connectors/graph/index.js';
import type { TopicCodec } from '../schemas/index.js';
import { drive, kafkaSink } from './connector.js';
import { LOAD_CLIENT_STATE, LOAD_SUBSCRIPTION } from './connector-load.js';
import { BENCH_TENANT } from './connector-sim.js';

const STAMPS = ['receive', 'parsed', 'lookupStart', 'lookupEnd', 'sink', 'encoded', 'produce', 'ack', 'settled', 'answered'] as const;
type Stamp = (typeof STAMPS)[number];
type Trace = Partial<Record<Stamp, number>>;

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};

const pct = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

function summarise(traces: readonly Trace[], produces: readonly { size: number; ms: number }[]): string[] {
  const done = traces.filter((t) => t.receive !== undefined && t.answered !== undefined);
  const total = (t: Trace): number => t.answered! - t.receive!;
  const slow = [...done].sort((a, b) => total(b) - total(a)).slice(0, Math.max(1, Math.floor(done.length / 100)));
  const lines = [`${done.length} requests traced; in-process answer time p50 ${pct(done.map(total).sort((a, b) => a - b), 0.5).toFixed(2)} ms, p99 ${pct(done.map(total).sort((a, b) => a - b), 0.99).toFixed(2)} ms`];
  lines.push('phase                     p50 ms    p99 ms   mean in slowest 1 %');
  for (let i = 1; i < STAMPS.length; i += 1) {
    const from = STAMPS[i - 1]!;
    const to = STAMPS[i]!;
    const ms = (t: Trace): number => (t[to] ?? t[from]!) - t[from]!;
    const all = done.map(ms).sort((a, b) => a - b);
    const slowMean = slow.reduce((n, t) => n + ms(t), 0) / slow.length;
    lines.push(`${`${from} → ${to}`.padEnd(24)} ${pct(all, 0.5).toFixed(2).padStart(7)}  ${pct(all, 0.99).toFixed(2).padStart(8)}  ${slowMean.toFixed(2).padStart(10)}`);
  }
  const sizes = produces.map((p) => p.size).sort((a, b) => a - b);
  const rtts = produces.map((p) => p.ms).sort((a, b) => a - b);
  lines.push(`${produces.length} produce requests: records p50 ${pct(sizes, 0.5)}, p99 ${pct(sizes, 0.99)}, max ${sizes.at(-1) ?? 0}; send → ack p50 ${pct(rtts, 0.5).toFixed(2)} ms, p99 ${pct(rtts, 0.99).toFixed(2)} ms, max ${(rtts.at(-1) ?? 0).toFixed(2)} ms`);
  return lines;
}

async function main(): Promise<void> {
  const rate = arg('rate', 2_000);
  const seconds = arg('seconds', 20);
  const als = new AsyncLocalStorage<Trace>();
  const byBuffer = new WeakMap<Buffer, Trace>();
  const traces: Trace[] = [];
  const produces: { size: number; ms: number }[] = [];
  let tracing = false;
  const stamp = (trace: Trace | undefined, at: Stamp): void => {
    if (trace !== undefined) trace[at] = performance.now();
  };
  const wrap = ({ producer, codec }: { producer: Producer; codec: TopicCodec }): { producer: Producer; codec: TopicCodec } => ({
    codec: new Proxy(codec, {
      get: (target, prop) => prop !== 'encode' ? Reflect.get(target, prop) as unknown : async (topic: 'graph.notifications.v1', value: never) => {
        const trace = als.getStore();
        const buffer = await target.encode(topic, value);
        stamp(trace, 'encoded');
        if (trace !== undefined) byBuffer.set(buffer, trace);
        return buffer;
      },
    }),
    producer: new Proxy(producer, {
      get: (target, prop) => prop !== 'send' ? Reflect.get(target, prop) as unknown : async (record: { messages: { value: Buffer }[] }) => {
        const carried = record.messages.map((m) => byBuffer.get(m.value));
        const started = performance.now();
        for (const t of carried) if (t !== undefined) t.produce = started;
        try {
          return await target.send(record as never);
        } finally {
          const ended = performance.now();
          if (tracing) produces.push({ size: record.messages.length, ms: ended - started });
          for (const t of carried) if (t !== undefined) t.ack = ended;
        }
      },
    }),
  });
  const lanes = arg('lanes', 1);
  const mailboxes = arg('mailboxes', 1);
  const kafka = await kafkaSink(wrap, lanes);
  let spread = 0;
  const route = { tenantId: BENCH_TENANT, mailboxId: 'u', clientStateHash: clientStateHash(LOAD_CLIENT_STATE) };
  const app = buildWebhookApp({
    options: { path: '/graph/notifications', bodyLimitBytes: 1_048_576, maxRequestsPerSecond: Math.max(5_000, rate * 2), maxItemsPerRequest: 1_000 },
    lookup: {
      route: (id) => {
        const trace = als.getStore();
        stamp(trace, 'lookupStart');
        const found = id === LOAD_SUBSCRIPTION ? route : undefined;
        return Promise.resolve(found).finally(() => stamp(trace, 'lookupEnd'));
      },
    },
    sink: {
      send: async (records) => {
        const trace = als.getStore();
        stamp(trace, 'sink');
        // --mailboxes N: the records go to N mailbox keys in turn (the load has one subscription).
        await kafka.sink.send(mailboxes === 1 ? records : records.map((r) => ({ ...r, key: `${r.key}${(spread += 1) % mailboxes}` })));
        stamp(trace, 'settled');
      },
    },
    clock: systemClock,
  });
  const traceOf = new WeakMap<FastifyRequest, Trace>();
  app.addHook('onRequest', (req, _reply, done) => {
    const trace: Trace = { receive: performance.now() };
    traceOf.set(req, trace);
    if (tracing) traces.push(trace);
    done();
  });
  app.addHook('preHandler', (req, _reply, done) => {
    const trace = traceOf.get(req);
    stamp(trace, 'parsed');
    als.run(trace ?? {}, done);
  });
  app.addHook('onResponse', (req, _reply, done) => {
    stamp(traceOf.get(req), 'answered');
    done();
  });
  const url = `${await app.listen({ host: '127.0.0.1', port: 0 })}/graph/notifications`;
  try {
    await drive(url, rate, 1);
    tracing = true;
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const result = await drive(url, rate, seconds);
    delay.disable();
    tracing = false;
    console.log(`lanes ${lanes}, mailbox keys ${mailboxes}`);
    console.log(`load generator: p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, ${result.ok}/${result.total} answered 202, ${result.achieved.toFixed(0)}/s`);
    console.log(`event loop delay: p50 ${(delay.percentile(50) / 1e6).toFixed(2)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(2)} ms, max ${(delay.max / 1e6).toFixed(2)} ms`);
    for (const line of summarise(traces, produces)) console.log(line);
  } finally {
    await app.close();
    await kafka.close();
  }
}

await main();
