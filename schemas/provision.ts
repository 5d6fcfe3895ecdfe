import type { Admin } from 'kafkajs';
import { HcError } from '../common/index.js';
import { TOPICS, type TopicSpec } from './topics.js';

export class TopicProvisionError extends HcError {
  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super('HC_ERR_TOPIC_PROVISION', message, options);
  }
}

export interface ProvisionOptions {
  readonly prefix?: string;
  readonly topics?: readonly TopicSpec[];
  /** Partition override for every topic (tests use fewer). */
  readonly partitions?: number;
  readonly replicationFactor?: number;
}

export interface ProvisionResult {
  readonly created: string[];
  readonly existing: string[];
}

function configEntries(topic: TopicSpec): { name: string; value: string }[] {
  return [
    { name: 'cleanup.policy', value: topic.cleanupPolicy },
    { name: 'retention.ms', value: String(topic.retentionMs) },
  ];
}

/**
 * Creates every topic of the declarative list that does not exist yet (idempotent), with its
 * partitions, retention and cleanup policy, and waits until the broker reports their leaders.
 * Existing topics with fewer partitions than asked are grown; never shrunk.
 */
export async function provisionTopics(admin: Admin, options: ProvisionOptions = {}): Promise<ProvisionResult> {
  const prefix = options.prefix ?? '';
  const specs = (options.topics ?? TOPICS).map((spec) => ({
    spec,
    name: `${prefix}${spec.name}`,
    partitions: options.partitions ?? spec.partitions,
  }));
  try {
    const existingNames = new Set(await admin.listTopics());
    const missing = specs.filter((topic) => !existingNames.has(topic.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic: topic.name,
          numPartitions: topic.partitions,
          replicationFactor: options.replicationFactor ?? 1,
          configEntries: configEntries(topic.spec),
        })),
      });
    }
    const present = specs.filter((topic) => existingNames.has(topic.name));
    if (present.length > 0) {
      const metadata = await admin.fetchTopicMetadata({ topics: present.map((topic) => topic.name) });
      const grow = present.flatMap((topic) => {
        const count = metadata.topics.find((t) => t.name === topic.name)?.partitions.length ?? 0;
        return count < topic.partitions ? [{ topic: topic.name, count: topic.partitions }] : [];
      });
      if (grow.length > 0) await admin.createPartitions({ topicPartitions: grow });
    }
    return { created: missing.map((topic) => topic.name), existing: present.map((topic) => topic.name) };
  } catch (error) {
    throw new TopicProvisionError(`Could not create the topics: ${(error as Error).message}. Is Kafka up? (hycal stack status)`, {
      cause: error,
      retryable: true,
    });
  }
}
