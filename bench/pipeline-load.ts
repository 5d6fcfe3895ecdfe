/**
 * The sender of `npm run bench -- pipeline`'s latency phases, in a process of its own so that the
 * pipeline under test (in the bench's process) neither slows the sending below its rate nor shares
 * its event loop. One line of JSON in on stdin: `{ brokers, topic, rate, records: [{ key, value }] }`
 * (values base64, built and sealed by the bench beforehand); the records are produced in order,
 * `rate` per second in 20 ticks a second (acks = all); one line of JSON out: each record's send time
 * (epoch ms, the tick's start) and the rate reached.
 */
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { createKeyPartitioner } from '../runtime/index.js';

export interface SendSpec {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly rate: number;
  readonly records: readonly { readonly key: string; readonly value: string }[];
}

export interface SendResult {
  readonly sentAt: readonly number[];
  readonly rate: number;
}

export async function send(spec: SendSpec): Promise<SendResult> {
  const kafka = new Kafka({ clientId: 'bench-pipeline-load', brokers: [...spec.brokers], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: createKeyPartitioner });
  await producer.connect();
  try {
    const messages = spec.records.map((r) => ({ key: r.key, value: Buffer.from(r.value, 'base64') }));
    const perTick = Math.max(1, Math.round(spec.rate / 20));
    const tickMs = (perTick / spec.rate) * 1_000;
    const sentAt: number[] = [];
    const started = Date.now();
    for (let sent = 0; sent < messages.length; sent += perTick) {
      const tick = messages.slice(sent, sent + perTick);
      const now = Date.now();
      for (let i = 0; i < tick.length; i += 1) sentAt.push(now);
      await producer.send({ topic: spec.topic, acks: -1, messages: tick });
      await sleep(Math.max(0, started + ((sent + perTick) / perTick) * tickMs - Date.now()));
    }
    return { sentAt, rate: (messages.length / Math.max(1, Date.now() - started)) * 1_000 };
  } finally {
    await producer.disconnect();
  }
}

async function main(): Promise<void> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  const spec = await new Promise<SendSpec>((resolve) => lines.once('line', (line) => resolve(JSON.parse(line) as SendSpec)));
  lines.close();
  process.stdout.write(`${JSON.stringify(await send(spec))}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
