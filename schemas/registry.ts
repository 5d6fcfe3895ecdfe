import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { HcError } from '../common/index.js';
import { TOPICS, valueSubject, type TopicSpec } from './topics.js';

const SCHEMA_DIR = dirname(fileURLToPath(import.meta.url));

/** A schema-registry call failed: the registry is down (retryable) or refused the schema. */
export class SchemaRegistryError extends HcError {
  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super('HC_ERR_SCHEMA_REGISTRY', message, options);
  }
}

/** A schema change would break readers of the subject (BACKWARD compatibility). */
export class SchemaIncompatibleError extends HcError {
  constructor(subject: string, options: { cause?: unknown } = {}) {
    super(
      'HC_ERR_SCHEMA_INCOMPATIBLE',
      `The registry refused a schema for ${subject}: it is not BACKWARD compatible with the registered versions. ` +
        'Add new fields with defaults (optional) instead of changing or removing fields.',
      options,
    );
  }
}

export function readSchemaFile(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as Record<string, unknown>;
}

export function createSchemaRegistry(url: string): SchemaRegistry {
  return new SchemaRegistry({ host: url.replace(/\/+$/, ''), retry: { retries: 3, initialRetryTimeInSecs: 0.2 } });
}

function isCompatibilityRefusal(error: unknown): boolean {
  const e = error as { name?: string; status?: number; message?: string };
  return (
    e.name === 'ConfluentSchemaRegistryIncompatibleError' ||
    e.status === 409 ||
    /incompatible/i.test(e.message ?? '')
  );
}

/**
 * Registers one Avro schema under `subject` with BACKWARD compatibility and returns its id.
 * Registering an identical schema again returns the same id (idempotent).
 */
export async function registerAvro(
  registry: SchemaRegistry,
  subject: string,
  schema: Record<string, unknown>,
): Promise<number> {
  try {
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject, compatibility: COMPATIBILITY.BACKWARD },
    );
    return id;
  } catch (error) {
    if (isCompatibilityRefusal(error)) throw new SchemaIncompatibleError(subject, { cause: error });
    throw new SchemaRegistryError(`Could not register a schema for ${subject}: ${(error as Error).message}`, {
      cause: error,
      retryable: true,
    });
  }
}

/** Registers every topic's value schema (`<prefix><topic>-value`); returns schema ids by topic name. */
export async function registerTopicSchemas(
  registry: SchemaRegistry,
  options: { prefix?: string; topics?: readonly TopicSpec[] } = {},
): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const topic of options.topics ?? TOPICS) {
    if (topic.valueSchema === null) continue;
    const subject = valueSubject(`${options.prefix ?? ''}${topic.name}`);
    ids.set(topic.name, await registerAvro(registry, subject, readSchemaFile(topic.valueSchema)));
  }
  return ids;
}
