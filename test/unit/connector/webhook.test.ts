import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ManualClock } from '../../../common/clock.js';
import type { Producer } from 'kafkajs';
import { buildWebhookApp, clientStateHash, KafkaNotificationSink, type NotificationSink, type SubscriptionRoute } from '../../../connectors/graph/webhook/index.js';
import type { GraphNotification, TopicCodec } from '../../../schemas/index.js';

const SECRET_STATE = 'q3J9-random-client-state-value-0123456789abcdef';
const ROUTES = new Map<string, SubscriptionRoute>([['sub-1', { tenantId: 't1', mailboxId: 'm1', clientStateHash: clientStateHash(SECRET_STATE) }]]);

describe('connector webhook – validation, clientState, durable 202', () => {
  const clock = new ManualClock(Date.UTC(2026, 11, 3, 12));
  const sent: { key: string; value: GraphNotification }[] = [];
  const rejected: Record<string, number> = {};
  let failSink = false;
  let release: (() => void) | undefined;
  const sink: NotificationSink = {
    async send(records) {
      if (release !== undefined) await new Promise<void>((r) => { const prev = release!; release = () => { prev(); r(); }; });
      if (failSink) throw new Error('broker down');
      sent.push(...records);
    },
  };
  let app: FastifyInstance;

  beforeAll(async () => {
    app = buildWebhookApp({
      options: { path: '/graph/notifications', bodyLimitBytes: 64 * 1024, maxRequestsPerSecond: 50, maxItemsPerRequest: 1000 },
      lookup: { route: (id) => Promise.resolve(ROUTES.get(id)) },
      sink, clock,
      counters: { accepted: () => undefined, rejected: (reason, n) => { rejected[reason] = (rejected[reason] ?? 0) + n; } },
    });
    await app.ready();
  });
  afterAll(async () => app.close());

  const change = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    subscriptionId: 'sub-1', clientState: SECRET_STATE, changeType: 'updated', tenantId: 't1',
    resource: 'Users/u/Events/AAMk1', resourceData: { '@odata.type': '#Microsoft.Graph.Event', '@odata.etag': 'W/"CK1"', id: 'AAMk1' }, ...over,
  });

  it('webhook – answers the validation handshake with the decoded token as text/plain', async () => {
    const res = await app.inject({ method: 'POST', url: '/graph/notifications?validationToken=Validation%3A%20Testing%20client%20application%20reachability', headers: { 'content-type': 'text/plain; charset=utf-8' }, payload: '' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toBe('Validation: Testing client application reachability');
  });

  it('webhook – enqueues ids only (clientState dropped) keyed tenantId/mailboxId, and drops and counts clientState mismatches', async () => {
    sent.length = 0;
    const res = await app.inject({ method: 'POST', url: '/graph/notifications', payload: { value: [change(), change({ clientState: 'guess' }), change({ clientState: `${SECRET_STATE}x` }), change({ subscriptionId: 'sub-unknown' })] } });
    expect(res.statusCode).toBe(202);
    expect(sent).toEqual([{ key: 't1/m1', value: { tenantId: 't1', mailboxId: 'm1', kind: 'CHANGE', changeType: 'UPDATED', lifecycleEvent: 'NONE', command: 'NONE', subscriptionId: 'sub-1', eventId: 'AAMk1', changeKey: 'CK1', receivedAt: clock.now() } }]);
    expect(JSON.stringify(sent)).not.toContain(SECRET_STATE);
    expect(rejected['client-state']).toBe(2);
    expect(rejected['unknown-subscription']).toBe(1);
  });

  it('webhook – maps lifecycle notifications (reauthorizationRequired, subscriptionRemoved, missed)', async () => {
    sent.length = 0;
    const lifecycle = (event: string) => ({ subscriptionId: 'sub-1', clientState: SECRET_STATE, lifecycleEvent: event, tenantId: 't1', subscriptionExpirationDateTime: '2026-12-05T00:00:00Z' });
    const res = await app.inject({ method: 'POST', url: '/graph/notifications', payload: { value: [lifecycle('reauthorizationRequired'), lifecycle('subscriptionRemoved'), lifecycle('missed')] } });
    expect(res.statusCode).toBe(202);
    expect(sent.map((s) => [s.value.kind, s.value.lifecycleEvent])).toEqual([['LIFECYCLE', 'REAUTHORIZATION_REQUIRED'], ['LIFECYCLE', 'SUBSCRIPTION_REMOVED'], ['LIFECYCLE', 'MISSED']]);
  });

  it('webhook – answers 202 only after the write was acknowledged, and 503 when it failed', async () => {
    sent.length = 0;
    release = () => undefined;
    let answered = false;
    const pending = app.inject({ method: 'POST', url: '/graph/notifications', payload: { value: [change()] } }).then((r) => { answered = true; return r; });
    await new Promise((r) => setTimeout(r, 30));
    expect(answered).toBe(false);
    const go = release;
    release = undefined;
    go();
    expect((await pending).statusCode).toBe(202);
    expect(sent).toHaveLength(1);
    failSink = true;
    const failed = await app.inject({ method: 'POST', url: '/graph/notifications', payload: { value: [change()] } });
    failSink = false;
    expect(failed.statusCode).toBe(503);
  });

  it('webhook – bounds body size and request rate', async () => {
    const big = await app.inject({ method: 'POST', url: '/graph/notifications', payload: { value: [change({ pad: 'x'.repeat(70 * 1024) })] } });
    expect(big.statusCode).toBe(413);
    clock.advance(10_000);
    const codes: number[] = [];
    for (let i = 0; i < 60; i += 1) codes.push((await app.inject({ method: 'POST', url: '/graph/notifications', payload: { value: [] } })).statusCode);
    expect(codes.filter((c) => c === 202)).toHaveLength(50);
    expect(codes.filter((c) => c === 429)).toHaveLength(10);
  });
});

describe('connector webhook – Kafka sink group commit', () => {
  const notification = (n: number): { key: string; value: GraphNotification } => ({
    key: 't1/m1',
    value: { tenantId: 't1', mailboxId: 'm1', kind: 'CHANGE', changeType: 'UPDATED', lifecycleEvent: 'NONE', command: 'NONE', subscriptionId: 'sub-1', eventId: `e${n}`, changeKey: null, receivedAt: n },
  });
  const codec = { encode: (_topic: string, value: GraphNotification) => Promise.resolve(Buffer.from(value.eventId ?? '')) } as unknown as TopicCodec;

  function fakeProducer(): { producer: Producer; requests: string[][]; settle: (error?: Error) => void } {
    const requests: string[][] = [];
    const pending: ((error?: Error) => void)[] = [];
    const producer = {
      send: (record: { messages: { value: Buffer }[] }) => {
        requests.push(record.messages.map((m) => m.value.toString()));
        return new Promise((resolve, reject) => pending.push((error) => (error === undefined ? resolve([]) : reject(error))));
      },
    } as unknown as Producer;
    return { producer, requests, settle: (error) => pending.shift()?.(error) };
  }

  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('connector webhook – sends that arrive while a produce is in flight go out together, each settled only by the acknowledgement of its own request', async () => {
    const { producer, requests, settle } = fakeProducer();
    const sink = new KafkaNotificationSink(producer, codec, 'graph.notifications.v1');
    const done: number[] = [];
    const first = sink.send([notification(1)]).then(() => done.push(1));
    await tick();
    const later = [2, 3, 4].map((n) => sink.send([notification(n)]).then(() => done.push(n)));
    await tick();
    expect(requests).toEqual([['e1']]);
    settle();
    await first;
    await tick();
    expect(done).toEqual([1]);
    expect(requests).toEqual([['e1'], ['e2', 'e3', 'e4']]);
    settle();
    await Promise.all(later);
    expect(done).toEqual([1, 2, 3, 4]);
  });

  it('connector webhook – a failed produce fails every request it carried (Graph redelivers them), and the next one goes out', async () => {
    const { producer, requests, settle } = fakeProducer();
    const sink = new KafkaNotificationSink(producer, codec, 'graph.notifications.v1');
    const first = sink.send([notification(1)]);
    await tick();
    const second = sink.send([notification(2)]);
    const third = sink.send([notification(3)]);
    await tick();
    settle(new Error('broker down'));
    await expect(first).rejects.toThrow('broker down');
    await tick();
    settle(new Error('still down'));
    await expect(second).rejects.toThrow('still down');
    await expect(third).rejects.toThrow('still down');
    const fourth = sink.send([notification(4)]);
    await tick();
    settle();
    await fourth;
    expect(requests).toEqual([['e1'], ['e2', 'e3'], ['e4']]);
  });
});
