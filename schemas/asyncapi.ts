import { readSchemaFile } from './registry.js';
import { TOPICS, DEAD_LETTER_SUFFIX, type TopicSpec } from './topics.js';

/**
 * The public topics as an AsyncAPI 3.0 document, generated from the one topic list
 * (schemas/topics.ts) and the Avro schemas beside it, so that what downstream consumers read in
 * docs/asyncapi.json is what the service creates. A unit test keeps the committed document equal
 * to this function's output (`hycal docs asyncapi --write` regenerates it).
 */

const KAFKA_BINDING_VERSION = '0.5.0';
const AVRO_FORMAT = 'application/vnd.apache.avro;version=1.9.0';

export const COMPATIBILITY_RULES = [
  'Every value schema is registered under the subject `<topic>-value` with compatibility BACKWARD:',
  'a new schema version may add a field only with a default and may remove a field only if it had one,',
  'so a consumer built against the newest version reads every record still in the topic.',
  'Values use the Confluent wire format: a zero magic byte, the 4-byte big-endian schema id, then the Avro binary body;',
  'resolve the writer schema by id from the registry and read with your own reader schema.',
  'A breaking change gets a new topic name (`.v2`), written beside `.v1` until every consumer moved.',
  'Dead-letter topics (`<topic>.dlq.v1`) carry the original record bytes unchanged (still sealed or field-encrypted)',
  'and `hc-error-*` headers; they have no value schema.',
].join(' ');

type Json = Record<string, unknown>;

/** `calendar.raw.v1` → `calendarRaw`; dead letters get a `Dlq` suffix. */
export function channelId(topic: string): string {
  const base = topic.endsWith(DEAD_LETTER_SUFFIX) ? topic.slice(0, -DEAD_LETTER_SUFFIX.length) : topic;
  const words = base.replace(/\.v\d+$/, '').split(/[.\-_]/);
  const id = words.map((word, index) => (index === 0 ? word : word.charAt(0).toUpperCase() + word.slice(1))).join('');
  return topic.endsWith(DEAD_LETTER_SUFFIX) ? `${id}Dlq` : id;
}

function messageId(topic: TopicSpec): string {
  const id = channelId(topic.name);
  return id.charAt(0).toUpperCase() + id.slice(1);
}

function kafkaChannelBinding(topic: TopicSpec): Json {
  return {
    kafka: {
      topic: topic.name,
      partitions: topic.partitions,
      topicConfiguration: {
        'cleanup.policy': topic.cleanupPolicy.split(','),
        'retention.ms': topic.retentionMs,
      },
      bindingVersion: KAFKA_BINDING_VERSION,
    },
  };
}

function message(topic: TopicSpec): Json {
  const key = { type: 'string', description: topic.key };
  if (topic.valueSchema === null) {
    return {
      name: messageId(topic),
      title: `Dead letter of ${topic.name.slice(0, -DEAD_LETTER_SUFFIX.length)}`,
      summary: topic.description,
      contentType: 'application/octet-stream',
      payload: { type: 'string', format: 'binary', description: 'The original record bytes, unchanged.' },
      headers: {
        type: 'object',
        description: 'Error headers written by the runtime (codes, names and schema paths only; never values).',
        properties: Object.fromEntries(
          ['hc-error-code', 'hc-error-message', 'hc-attempts', 'hc-processor', 'hc-source-topic', 'hc-source-partition', 'hc-source-offset', 'hc-failed-at', 'hc-replayed-from'].map(
            (name) => [name, { type: 'string' }],
          ),
        ),
      },
      bindings: { kafka: { key, bindingVersion: KAFKA_BINDING_VERSION } },
    };
  }
  const schema = readSchemaFile(topic.valueSchema);
  return {
    name: messageId(topic),
    title: typeof schema['name'] === 'string' ? schema['name'] : messageId(topic),
    summary: topic.description,
    contentType: 'application/vnd.apache.avro+binary',
    payload: { schemaFormat: AVRO_FORMAT, schema },
    bindings: {
      kafka: {
        key,
        schemaIdLocation: 'payload',
        schemaIdPayloadEncoding: 'confluent',
        schemaLookupStrategy: 'TopicNameStrategy',
        bindingVersion: KAFKA_BINDING_VERSION,
      },
    },
  };
}

export function buildAsyncApi(version: string, topics: readonly TopicSpec[] = TOPICS): Json {
  const channels: Json = {};
  const operations: Json = {};
  const messages: Json = {};
  for (const topic of topics) {
    const id = channelId(topic.name);
    const msg = messageId(topic);
    messages[msg] = message(topic);
    channels[id] = {
      address: topic.name,
      title: topic.name,
      description: `${topic.description} Key: ${topic.key}.`,
      messages: { [msg]: { $ref: `#/components/messages/${msg}` } },
      bindings: kafkaChannelBinding(topic),
    };
    operations[`consume${msg}`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${id}` },
      summary: `Read ${topic.name} (consumers keep their own group; records of one key arrive in order).`,
      messages: [{ $ref: `#/channels/${id}/messages/${msg}` }],
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'hybrid-calendar topics',
      version,
      description: `The Kafka topics of hybrid-calendar that apps, device gateways and analytics may read. ${COMPATIBILITY_RULES}`,
      license: { name: 'Apache-2.0' },
    },
    defaultContentType: 'application/vnd.apache.avro+binary',
    servers: {
      kafka: {
        host: '127.0.0.1:19092',
        protocol: 'kafka',
        description: 'The local stack (`hycal stack up`); a deployment names its own brokers. Topic names carry the deployment prefix (stack.topicPrefix) when one is set.',
      },
    },
    channels,
    operations,
    components: { messages },
  };
}

/** The document as committed: two-space JSON with a trailing newline. */
export function renderAsyncApi(version: string, topics: readonly TopicSpec[] = TOPICS): string {
  return `${JSON.stringify(buildAsyncApi(version, topics), null, 2)}\n`;
}
