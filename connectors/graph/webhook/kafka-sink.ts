import type { Producer } from 'kafkajs';
import type { GraphNotification, TopicCodec } from '../../../schemas/index.js';
import type { NotificationSink } from './receiver.js';

interface Waiting {
  readonly messages: readonly { key: string; value: Buffer }[];
  resolve(): void;
  reject(error: unknown): void;
}

/** Most messages in one produce request of the group commit. */
const MAX_BATCH_MESSAGES = 1_000;

/**
 * `graph.notifications.v1` through a kafkajs producer: Avro via the registry, acks=all. Sends of
 * concurrent webhook requests are committed together: while one produce request is in flight
 * the next ones queue, and go out as one request when it is acknowledged. Each caller's promise
 * settles with the request that carried its records (so a 202 still follows the broker's
 * acknowledgement, and a failure fails every request in the batch, which Graph then redelivers).
 * The idempotent producer allows one request in flight per broker: without this, the receiver
 * would answer at most one POST per broker round trip.
 */
export class KafkaNotificationSink implements NotificationSink {
  readonly #queue: Waiting[] = [];
  #flushing = false;

  constructor(private readonly producer: Producer, private readonly codec: TopicCodec, private readonly topic: string) {}

  async send(records: readonly { key: string; value: GraphNotification }[]): Promise<void> {
    const messages = await Promise.all(records.map(async (r) => ({ key: r.key, value: await this.codec.encode('graph.notifications.v1', r.value) })));
    await new Promise<void>((resolve, reject) => {
      this.#queue.push({ messages, resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#queue.length > 0) {
        let count = 0;
        let take = 0;
        while (take < this.#queue.length && (take === 0 || count + this.#queue[take]!.messages.length <= MAX_BATCH_MESSAGES)) {
          count += this.#queue[take]!.messages.length;
          take += 1;
        }
        const batch = this.#queue.splice(0, take);
        try {
          await this.producer.send({ topic: this.topic, acks: -1, messages: batch.flatMap((w) => w.messages) });
          for (const w of batch) w.resolve();
        } catch (error) {
          for (const w of batch) w.reject(error);
        }
      }
    } finally {
      this.#flushing = false;
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
