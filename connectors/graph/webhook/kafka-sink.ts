import type { Producer } from 'kafkajs';
import type { GraphNotification, TopicCodec } from '../../../schemas/index.js';
import type { NotificationSink } from './receiver.js';

/** `graph.notifications.v1` through a kafkajs producer: Avro via the registry, acks=all. */
export class KafkaNotificationSink implements NotificationSink {
  constructor(private readonly producer: Producer, private readonly codec: TopicCodec, private readonly topic: string) {}

  async send(records: readonly { key: string; value: GraphNotification }[]): Promise<void> {
    const messages = await Promise.all(records.map(async (r) => ({ key: r.key, value: await this.codec.encode('graph.notifications.v1', r.value) })));
    await this.producer.send({ topic: this.topic, acks: -1, messages });
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
