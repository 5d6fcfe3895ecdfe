import { describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { WebhookOverloadedError } from '../../../connectors/graph/errors.js';
import { KafkaNotificationSink } from '../../../connectors/graph/webhook/index.js';
import type { GraphNotification, TopicCodec } from '../../../schemas/index.js';

// 't1/m1' and 't1/m2' hash to different lanes of two (their last characters differ by one).
const record = (mailbox: string, n: number): { key: string; value: GraphNotification } => ({
  key: `t1/${mailbox}`,
  value: { tenantId: 't1', mailboxId: mailbox, kind: 'CHANGE', changeType: 'UPDATED', lifecycleEvent: 'NONE', command: 'NONE', subscriptionId: 'sub-1', eventId: `${mailbox}-e${n}`, changeKey: null, receivedAt: n },
});
const codec = { encode: (_topic: string, value: GraphNotification) => Promise.resolve(Buffer.from(value.eventId ?? '')) } as unknown as TopicCodec;
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A producer whose sends stay pending until settled, one by one, in order. */
function fakeProducer(): { producer: Producer; requests: string[][]; inFlight: () => number; settle: (error?: Error) => void } {
  const requests: string[][] = [];
  const pending: ((error?: Error) => void)[] = [];
  const producer = {
    send: (r: { messages: { value: Buffer }[] }) => {
      requests.push(r.messages.map((m) => m.value.toString()));
      return new Promise((resolve, reject) => pending.push((error) => (error === undefined ? resolve([]) : reject(error))));
    },
  } as unknown as Producer;
  return { producer, requests, inFlight: () => pending.length, settle: (error) => pending.shift()?.(error) };
}

describe('connector webhook – Kafka sink on several producers', () => {
  it('connector webhook – each key keeps to one producer in order, and produces of different keys are in flight together', async () => {
    const a = fakeProducer();
    const b = fakeProducer();
    const sink = new KafkaNotificationSink([a.producer, b.producer], codec, 'graph.notifications.v1');
    const sends = [sink.send([record('m1', 1)]), sink.send([record('m2', 1)])];
    await tick();
    // One produce in flight on each producer at once: neither request waits for the other's.
    expect(a.inFlight() + b.inFlight()).toBe(2);
    sends.push(sink.send([record('m1', 2)]), sink.send([record('m1', 3), record('m2', 2)]));
    await tick();
    for (let i = 0; i < 4; i += 1) {
      a.settle();
      b.settle();
      await tick();
    }
    await Promise.all(sends);
    const m1 = [...a.requests, ...b.requests].find((r) => r.includes('m1-e1'));
    const lane1 = a.requests.includes(m1!) ? a.requests : b.requests;
    const lane2 = lane1 === a.requests ? b.requests : a.requests;
    expect(lane1).toEqual([['m1-e1'], ['m1-e2', 'm1-e3']]);
    expect(lane2).toEqual([['m2-e1'], ['m2-e2']]);
  });

  it('connector webhook – a failed produce fails exactly the requests whose records it carried; the other producer\'s are acknowledged', async () => {
    const a = fakeProducer();
    const b = fakeProducer();
    const sink = new KafkaNotificationSink([a.producer, b.producer], codec, 'graph.notifications.v1');
    const results: Record<string, string> = {};
    const track = (name: string, p: Promise<void>): Promise<void> => p.then(() => void (results[name] = 'ok'), (e: Error) => void (results[name] = e.message));
    const all = [
      track('m1 only', sink.send([record('m1', 1)])),
      track('m2 only', sink.send([record('m2', 1)])),
      track('both', sink.send([record('m1', 2), record('m2', 2)])),
    ];
    await tick();
    const m1Lane = a.requests[0]?.[0] === 'm1-e1' ? a : b;
    const m2Lane = m1Lane === a ? b : a;
    m1Lane.settle(new Error('broker down'));
    m2Lane.settle();
    await tick();
    m1Lane.settle();
    m2Lane.settle();
    await Promise.all(all);
    expect(results).toEqual({ 'm1 only': 'broker down', 'm2 only': 'ok', both: 'ok' });
    // Nothing lost: every record of an acknowledged request went out in an acknowledged produce.
    expect(m1Lane.requests).toEqual([['m1-e1'], ['m1-e2']]);
    expect(m2Lane.requests).toEqual([['m2-e1'], ['m2-e2']]);
  });

  it('connector webhook – a request whose records span producers fails when either of its produces fails', async () => {
    const a = fakeProducer();
    const b = fakeProducer();
    const sink = new KafkaNotificationSink([a.producer, b.producer], codec, 'graph.notifications.v1');
    const both = sink.send([record('m1', 1), record('m2', 1)]);
    await tick();
    a.settle();
    b.settle(new Error('not acknowledged'));
    await expect(both).rejects.toThrow('not acknowledged');
  });

  it('connector webhook – holds at most maxHeldRecords waiting for Kafka: a send past it fails at once (503, Graph redelivers) and sends are taken again once acknowledged', async () => {
    const a = fakeProducer();
    const sink = new KafkaNotificationSink(a.producer, codec, 'graph.notifications.v1', { maxHeldRecords: 3 });
    const held = [sink.send([record('m1', 1)]), sink.send([record('m1', 2), record('m1', 3)])];
    await tick();
    await expect(sink.send([record('m1', 4)])).rejects.toBeInstanceOf(WebhookOverloadedError);
    await expect(sink.send([record('m1', 5)])).rejects.toMatchObject({ code: 'HC_ERR_WEBHOOK_OVERLOADED', retryable: true });
    a.settle();
    await tick();
    a.settle();
    await Promise.all(held);
    const later = sink.send([record('m1', 6), record('m1', 7), record('m1', 8)]);
    await tick();
    a.settle();
    await later;
    // The refused records never reached a produce; every accepted one did, in order.
    expect(a.requests).toEqual([['m1-e1'], ['m1-e2', 'm1-e3'], ['m1-e6', 'm1-e7', 'm1-e8']]);
  });
});
