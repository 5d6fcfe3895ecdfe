import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../common/index.js';
import type { TopicCodec, TopicValues } from '../schemas/index.js';
import type { DemoBoard } from './board.js';

export const TAPPED_TOPICS = ['calendar.raw.v1', 'mailbox.settings.raw.v1', 'calendar.meetings.v1', 'obtp.devices.v1', 'presence.v1'] as const;

export interface TapOptions {
  readonly kafka: Kafka;
  readonly codec: TopicCodec;
  readonly board: DemoBoard;
  readonly logger: Logger;
  /** Deployment topic prefix (stack.topicPrefix). */
  readonly prefix: string;
}

/**
 * Follows the public topics from their beginning in a consumer group of its own (so it never takes
 * partitions from the service's groups) and folds each value into the board.
 */
export class TopicTap {
  readonly #options: TapOptions;
  #consumer: Consumer | undefined;

  constructor(options: TapOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    const { kafka, codec, board, logger, prefix } = this.#options;
    const consumer = kafka.consumer({ groupId: `demo-dashboard-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 200 });
    this.#consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: TAPPED_TOPICS.map((t) => `${prefix}${t}`), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const name = topic.slice(prefix.length) as keyof TopicValues;
        if (!message.value) return;
        try {
          board.apply(name, await codec.decode(name, message.value));
        } catch (error) {
          logger.warn({ topic: name, code: (error as { code?: string }).code }, 'demo dashboard skipped a record it could not decode');
        }
      },
    });
  }

  async stop(): Promise<void> {
    await this.#consumer?.disconnect();
    this.#consumer = undefined;
  }
}
