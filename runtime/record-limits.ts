import kafkajs, { type Admin } from 'kafkajs';

/** Bytes kept free under a topic's max.message.bytes for the record batch around a record. */
export const BATCH_OVERHEAD_BYTES = 512;

/**
 * The largest record each topic accepts: the smaller of `runtime.maxRecordBytes` and the topic's
 * own `max.message.bytes` (read from the broker at start) less the record batch overhead. Emits
 * are checked against it when a processor makes them and dead letters are shrunk under it, so a
 * record the broker would refuse fails alone (to its dead letter) instead of a write cycle.
 */
export class RecordLimits {
  readonly #default: number;
  readonly #topics = new Map<string, number>();

  constructor(defaultBytes: number) {
    this.#default = defaultBytes;
  }

  /** The topic's (prefixed name) `max.message.bytes`, as the broker reports it. */
  setTopicLimit(topic: string, maxMessageBytes: number): void {
    this.#topics.set(topic, Math.min(this.#default, Math.max(1, maxMessageBytes - BATCH_OVERHEAD_BYTES)));
  }

  /** The largest record `topic` (prefixed name) accepts, bytes. */
  limitFor(topic: string): number {
    return this.#topics.get(topic) ?? this.#default;
  }

  /** Limits read from topics that are below the option, by topic (for the start-up log). */
  get lowered(): Readonly<Record<string, number>> {
    return Object.fromEntries([...this.#topics].filter(([, limit]) => limit < this.#default));
  }
}

/** Reads `max.message.bytes` of the given topics (one describeConfigs request). */
export async function readTopicLimits(admin: Pick<Admin, 'describeConfigs'>, topics: readonly string[]): Promise<Map<string, number>> {
  const limits = new Map<string, number>();
  if (topics.length === 0) return limits;
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name, configNames: ['max.message.bytes'] })),
  });
  for (const resource of described.resources) {
    const entry = resource.configEntries.find((config) => config.configName === 'max.message.bytes');
    const value = Number(entry?.configValue);
    if (Number.isFinite(value) && value > 0) limits.set(resource.resourceName, value);
  }
  return limits;
}
