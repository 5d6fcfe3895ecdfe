import type { Producer } from 'kafkajs';
import { WebhookOverloadedError } from '../errors.js';
import type { GraphNotification, TopicCodec } from '../../../schemas/index.js';
import type { NotificationSink } from './receiver.js';

interface Waiting {
  readonly messages: readonly { key: string; value: Buffer }[];
  resolve(): void;
  reject(error: unknown): void;
}

/** One producer and the requests waiting for its next produce (at most one produce in flight). */
interface Lane {
  readonly producer: Producer;
  readonly queue: Waiting[];
  flushing: boolean;
}

/** Most messages in one produce request of the group commit. */
const MAX_BATCH_MESSAGES = 1_000;

/** A key's lane: the same key always goes through the same producer, so its records keep their order. */
function laneOf(key: string, lanes: number): number {
  let h = 0;
  for (let i = 0; i < key.length; i += 1) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
  return (h >>> 0) % lanes;
}

/**
 * `graph.notifications.v1` through kafkajs producers: Avro via the registry, acks=all. Sends of
 * concurrent webhook requests are committed together: while one produce request is in flight
 * the next ones queue, and go out as one request when it is acknowledged. Each caller's promise
 * settles with the request that carried its records (so a 202 still follows the broker's
 * acknowledgement, and a failure fails every request in the batch, which Graph then redelivers).
 * The idempotent producer allows one request in flight per broker: without this, the receiver
 * would answer at most one POST per broker round trip. Given several producers ("lanes"), each
 * key keeps to one of them (its order holds) and their produces are in flight at the same time,
 * so a request waits for at most its own lane's produce in flight, not for every other one.
 */
export class KafkaNotificationSink implements NotificationSink {
  readonly #lanes: Lane[];
  readonly #maxHeld: number;
  /** Records accepted and not yet settled (queued or in a produce in flight), over every lane. */
  #held = 0;

  /**
   * `maxHeldRecords` bounds the records waiting for Kafka (queued or in flight): a send that would
   * pass it fails at once with WebhookOverloadedError (the receiver answers 503; Graph redelivers).
   */
  constructor(producer: Producer | readonly Producer[], private readonly codec: TopicCodec, private readonly topic: string, options: { maxHeldRecords?: number } = {}) {
    const producers = Array.isArray(producer) ? producer as readonly Producer[] : [producer as Producer];
    if (producers.length === 0) throw new RangeError('KafkaNotificationSink needs at least one producer');
    this.#lanes = producers.map((p) => ({ producer: p, queue: [], flushing: false }));
    this.#maxHeld = options.maxHeldRecords ?? Number.POSITIVE_INFINITY;
  }

  async send(records: readonly { key: string; value: GraphNotification }[]): Promise<void> {
    if (this.#held + records.length > this.#maxHeld) {
      throw new WebhookOverloadedError(`${this.#held} notifications are waiting for Kafka (at most ${this.#maxHeld}); try again later.`, { retryable: true, details: { held: this.#held } });
    }
    this.#held += records.length;
    try {
      await this.#commit(records);
    } finally {
      this.#held -= records.length;
    }
  }

  async #commit(records: readonly { key: string; value: GraphNotification }[]): Promise<void> {
    const messages = await Promise.all(records.map(async (r) => ({ key: r.key, value: await this.codec.encode('graph.notifications.v1', r.value) })));
    const byLane = new Map<number, { key: string; value: Buffer }[]>();
    for (const m of messages) {
      const lane = laneOf(m.key, this.#lanes.length);
      byLane.set(lane, [...(byLane.get(lane) ?? []), m]);
    }
    await Promise.all([...byLane].map(([i, own]) => new Promise<void>((resolve, reject) => {
      const lane = this.#lanes[i]!;
      lane.queue.push({ messages: own, resolve, reject });
      if (!lane.flushing) void this.#flush(lane);
    })));
  }

  async #flush(lane: Lane): Promise<void> {
    lane.flushing = true;
    const queue = lane.queue;
    try {
      while (queue.length > 0) {
        let count = 0;
        let take = 0;
        while (take < queue.length && (take === 0 || count + queue[take]!.messages.length <= MAX_BATCH_MESSAGES)) {
          count += queue[take]!.messages.length;
          take += 1;
        }
        const batch = queue.splice(0, take);
        try {
          await lane.producer.send({ topic: this.topic, acks: -1, messages: batch.flatMap((w) => w.messages) });
          for (const w of batch) w.resolve();
        } catch (error) {
          for (const w of batch) w.reject(error);
        }
      }
    } finally {
      lane.flushing = false;
    }
  }
}

/** Commands to mailbox actors (activate, resync, deactivate) on the actors' own input topic. */
export class MailboxCommands {
  constructor(private readonly sink: NotificationSink, private readonly now: () => number) {}

  async send(tenantId: string, mailboxId: string, command: 'ACTIVATE' | 'RESYNC' | 'DEACTIVATE'): Promise<void> {
    await this.sink.send([{
      key: `${tenantId}/${mailboxId}`,
      value: {
        tenantId, mailboxId, kind: 'COMMAND', changeType: 'NONE', lifecycleEvent: 'NONE', command,
        subscriptionId: null, eventId: null, changeKey: null, receivedAt: this.now(),
      },
    }]);
  }
}
