/**
 * The one declarative list of topics (DESIGN.md section 3). The stack command, the service and the
 * tests create topics and register value schemas from it. Every topic read by a processor has a
 * dead-letter twin `<topic>.dlq.v1` whose values are the original record bytes (no schema).
 */
const DAY_MS = 24 * 60 * 60 * 1000;

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';

export interface TopicSpec {
  /** Topic name without the deployment prefix. */
  readonly name: string;
  /** What the record key is. */
  readonly key: string;
  /** File in schemas/ holding the value's Avro schema; null for dead-letter topics (raw bytes). */
  readonly valueSchema: string | null;
  readonly partitions: number;
  readonly retentionMs: number;
  readonly cleanupPolicy: CleanupPolicy;
  /** Whether the topic has a dead-letter twin. */
  readonly deadLetter: boolean;
  readonly description: string;
}

export const DEAD_LETTER_SUFFIX = '.dlq.v1';
const DEAD_LETTER_RETENTION_MS = 30 * DAY_MS;

const PRIMARY_TOPICS: readonly TopicSpec[] = [
  {
    name: 'graph.notifications.v1',
    key: 'tenantId/mailboxId',
    valueSchema: 'graph.notifications.v1.avsc',
    partitions: 12,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: 'delete',
    deadLetter: true,
    description: 'Accepted Graph change and lifecycle notifications (ids only) and mailbox commands (webhook, admin → mailbox actors).',
  },
  {
    name: 'calendar.raw.v1',
    key: 'tenantId/mailboxId',
    valueSchema: 'calendar.raw.v1.avsc',
    partitions: 12,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: 'delete',
    deadLetter: true,
    description: 'Sealed Graph events with change type, source and fetch time (connector → parse).',
  },
  {
    name: 'mailbox.settings.raw.v1',
    key: 'tenantId/mailboxId',
    valueSchema: 'mailbox.settings.raw.v1.avsc',
    partitions: 6,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: 'delete',
    deadLetter: true,
    description: 'Sealed mailbox settings: automatic replies, language, time zone (connector → ooo, writeback).',
  },
  {
    name: 'calendar.meetings.v1',
    key: 'tenantId/mailboxId',
    valueSchema: 'calendar.meetings.v1.avsc',
    partitions: 12,
    // The retention window of the product: 7 days back, 31 ahead, and a day of slack.
    retentionMs: 39 * DAY_MS,
    cleanupPolicy: 'delete',
    deadLetter: true,
    description: 'Field-encrypted meeting occurrences (encrypt → obtp, writeback, materialize, analytics).',
  },
  {
    name: 'obtp.devices.v1',
    key: 'deviceId',
    valueSchema: 'obtp.devices.v1.avsc',
    partitions: 6,
    retentionMs: 39 * DAY_MS,
    cleanupPolicy: 'delete',
    deadLetter: true,
    description: 'Device bookings and Join-button show/expire (obtp → device gateways, materialize).',
  },
  {
    name: 'presence.v1',
    key: 'tenantId/userId',
    valueSchema: 'presence.v1.avsc',
    partitions: 6,
    retentionMs: 39 * DAY_MS,
    // The latest state per user is what matters; compaction keeps it beyond retention.
    cleanupPolicy: 'compact,delete',
    deadLetter: true,
    description: 'Out-of-office on/off with since/until (ooo → apps, materialize).',
  },
];

function deadLetterTwin(topic: TopicSpec): TopicSpec {
  return {
    name: `${topic.name}${DEAD_LETTER_SUFFIX}`,
    key: topic.key,
    valueSchema: null,
    partitions: Math.min(topic.partitions, 3),
    retentionMs: DEAD_LETTER_RETENTION_MS,
    cleanupPolicy: 'delete',
    deadLetter: false,
    description: `Dead letters of ${topic.name}: original bytes plus error headers.`,
  };
}

export const TOPICS: readonly TopicSpec[] = Object.freeze([
  ...PRIMARY_TOPICS,
  ...PRIMARY_TOPICS.filter((topic) => topic.deadLetter).map(deadLetterTwin),
]);

export type TopicName =
  | 'graph.notifications.v1'
  | 'calendar.raw.v1'
  | 'mailbox.settings.raw.v1'
  | 'calendar.meetings.v1'
  | 'obtp.devices.v1'
  | 'presence.v1';

export function topicSpec(name: string): TopicSpec | undefined {
  return TOPICS.find((topic) => topic.name === name);
}

export function deadLetterTopicOf(topic: string): string {
  return `${topic}${DEAD_LETTER_SUFFIX}`;
}

/** The schema-registry subject of a topic's values (TopicNameStrategy). */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}
