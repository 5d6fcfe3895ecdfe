import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { HcError } from '../common/index.js';
import { registerTopicSchemas, SchemaRegistryError } from './registry.js';
import type { TopicValues } from './values.js';

/** A record's bytes are not a valid Confluent-framed Avro value of a known schema. */
export class RecordDecodeError extends HcError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('HC_ERR_RECORD_DECODE', message, options);
  }
}

/**
 * Encodes and decodes topic values in the Confluent wire format (magic byte, 4-byte schema id,
 * Avro body) through the registry. Writers use the schema registered for the topic at start-up;
 * readers resolve any registered writer schema by id (cached by the registry client).
 */
export class TopicCodec {
  readonly #registry: SchemaRegistry;
  readonly #prefix: string;
  #ids = new Map<string, number>();

  constructor(registry: SchemaRegistry, options: { prefix?: string } = {}) {
    this.#registry = registry;
    this.#prefix = options.prefix ?? '';
  }

  /** Registers (or looks up) every topic's value schema. Call once at start. */
  async init(): Promise<this> {
    this.#ids = await registerTopicSchemas(this.#registry, { prefix: this.#prefix });
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
      throw new RecordDecodeError(`A ${topic} value does not match its schema: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async decode<T extends keyof TopicValues>(_topic: T, bytes: Buffer): Promise<TopicValues[T]> {
    if (bytes.length < 5 || bytes[0] !== 0) {
      throw new RecordDecodeError('Record value is not in the Confluent wire format (magic byte 0 + schema id).');
    }
    try {
      return (await this.#registry.decode(bytes)) as TopicValues[T];
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status !== undefined && status >= 500) {
        throw new SchemaRegistryError('The schema registry is unavailable while decoding a record.', {
          cause: error,
          retryable: true,
        });
      }
      throw new RecordDecodeError(`Record value could not be decoded: ${(error as Error).message}`, { cause: error });
    }
  }
}
