import avro from 'avsc';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { HcError } from '../common/index.js';
import { readSchemaFile, registerTopicSchemas, SchemaRegistryError } from './registry.js';
import { TOPICS, type TopicSpec } from './topics.js';
import type { TopicValues } from './values.js';

/** A record's bytes are not a valid Confluent-framed Avro value of a known schema (or a value does not match its schema). */
export class RecordDecodeError extends HcError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('HC_ERR_RECORD_DECODE', message, options);
  }
}

type AvroType = avro.Type;
type Resolver = ReturnType<AvroType['createResolver']>;

const NETWORK = /ECONN|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EPIPE|socket hang up|timeout/i;

/**
 * Whether a registry failure means the registry cannot be reached or is failing (5xx, 408, 429, a
 * network error, which the registry client reports as status 400 with the socket error's text).
 */
function registryUnavailable(error: unknown): boolean {
  const { status, message } = (error ?? {}) as { status?: unknown; message?: unknown };
  if (typeof status === 'number' && (status >= 500 || status === 408 || status === 429)) return true;
  return typeof message === 'string' && NETWORK.test(message) && (status === undefined || status === 400);
}

/**
 * The registry cannot be reached (or fails) while a record is encoded or decoded: retryable, and
 * like a KMS outage it waits for recovery (the record stays, its key waits, nothing is dead-lettered).
 */
export class SchemaRegistryUnavailableError extends HcError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('HC_ERR_SCHEMA_REGISTRY_UNAVAILABLE', message, { ...options, retryable: true });
  }
}

function unavailable(what: string, error: unknown): SchemaRegistryUnavailableError {
  return new SchemaRegistryUnavailableError(`The schema registry cannot be reached while ${what}; waiting for it. Check SCHEMA_REGISTRY_URL and hycal stack status.`, { cause: error });
}

/** Schema paths of the invalid fields of a value (never the values). */
function invalidPaths(error: unknown): string {
  const paths = (error as { paths?: unknown }).paths;
  if (!Array.isArray(paths) || paths.length === 0) return 'unknown path';
  return paths.map((path) => (Array.isArray(path) ? path.map(String).join('.') : String(path))).slice(0, 20).join(', ');
}

/**
 * Encodes and decodes topic values in the Confluent wire format (magic byte, 4-byte schema id,
 * Avro body) through the registry. Writers use the schema registered for the topic at start-up.
 * Readers resolve the writer schema (by id, cached by the registry client) into the topic's
 * current schema (the reader schema), so processors see values in the shape their code was
 * written for even when older records were written with an earlier version.
 *
 * Errors never carry values: a value that does not match its schema names the schema paths only.
 * A registry that cannot be reached is a retryable `HC_ERR_SCHEMA_REGISTRY` that waits for recovery.
 */
export class TopicCodec {
  readonly #registry: SchemaRegistry;
  readonly #prefix: string;
  readonly #topics: readonly TopicSpec[];
  readonly #readers = new Map<string, AvroType>();
  readonly #resolvers = new Map<string, Resolver | null>();
  #ids = new Map<string, number>();

  constructor(registry: SchemaRegistry, options: { prefix?: string; topics?: readonly TopicSpec[]; readerSchemas?: Readonly<Record<string, Record<string, unknown>>> } = {}) {
    this.#registry = registry;
    this.#prefix = options.prefix ?? '';
    this.#topics = options.topics ?? TOPICS;
    for (const topic of this.#topics) {
      if (topic.valueSchema !== null) this.#readers.set(topic.name, avro.Type.forSchema(readSchemaFile(topic.valueSchema) as avro.Schema));
    }
    for (const [topic, schema] of Object.entries(options.readerSchemas ?? {})) this.#readers.set(topic, avro.Type.forSchema(schema as avro.Schema));
  }

  /** Registers (or looks up) every topic's value schema. Call once at start. */
  async init(): Promise<this> {
    this.#ids = await registerTopicSchemas(this.#registry, { prefix: this.#prefix, topics: this.#topics });
    return this;
  }

  schemaId(topic: keyof TopicValues): number {
    const id = this.#ids.get(topic);
    if (id === undefined) {
      throw new SchemaRegistryError(`No schema registered for topic ${topic}; call TopicCodec.init() at start.`);
    }
    return id;
  }

  async encode<T extends keyof TopicValues>(topic: T, value: TopicValues[T]): Promise<Buffer> {
    try {
      return await this.#registry.encode(this.schemaId(topic), value);
    } catch (error) {
      if (error instanceof HcError) throw error;
      if ((error as { name?: unknown }).name === 'ConfluentSchemaRegistryValidationError') {
        // The library's message embeds the value: keep only the schema paths (no cause either).
        throw new RecordDecodeError(`A ${topic} value does not match its schema at ${invalidPaths(error)}. Fix the processor that emits it.`);
      }
      if (registryUnavailable(error)) throw unavailable(`encoding a ${topic} value`, error);
      throw new RecordDecodeError(`A ${topic} value could not be encoded (${(error as { name?: unknown }).name as string}).`);
    }
  }

  async decode<T extends keyof TopicValues>(topic: T, bytes: Buffer): Promise<TopicValues[T]> {
    if (bytes.length < 5 || bytes[0] !== 0) {
      throw new RecordDecodeError('Record value is not in the Confluent wire format (magic byte 0 + schema id).');
    }
    const id = bytes.readInt32BE(1);
    let writer: AvroType;
    try {
      writer = (await this.#registry.getSchema(id)) as unknown as AvroType;
    } catch (error) {
      if (registryUnavailable(error)) throw unavailable(`decoding a ${topic} record`, error);
      throw new RecordDecodeError(`The writer schema ${id} of a ${topic} record is unknown to the registry (${(error as { status?: unknown }).status as string}).`);
    }
    try {
      const reader = this.#readers.get(topic);
      const payload = bytes.subarray(5);
      if (reader === undefined) return writer.fromBuffer(payload) as TopicValues[T];
      const resolver = this.#resolver(topic, id, reader, writer);
      return (resolver === null ? reader.fromBuffer(payload) : reader.fromBuffer(payload, resolver)) as TopicValues[T];
    } catch (error) {
      throw new RecordDecodeError(`A ${topic} record (writer schema ${id}) could not be decoded into the topic's schema (${(error as { name?: unknown }).name as string}).`);
    }
  }

  /** null when writer and reader are the same schema; cached per topic and writer id. */
  #resolver(topic: string, id: number, reader: AvroType, writer: AvroType): Resolver | null {
    const key = `${topic}\u0000${id}`;
    let resolver = this.#resolvers.get(key);
    if (resolver === undefined) {
      resolver = reader.equals(writer) ? null : reader.createResolver(writer);
      this.#resolvers.set(key, resolver);
    }
    return resolver;
  }
}
