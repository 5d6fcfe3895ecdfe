import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { ASYNCAPI_PATH, packageVersion } from '../../../cli/docs.js';
import { buildAsyncApi, channelId, renderAsyncApi } from '../../../schemas/asyncapi.js';
import { TOPICS, type TopicSpec } from '../../../schemas/topics.js';

interface Message {
  payload: { format?: string; schemaFormat?: string; schema?: avro.Schema };
  bindings: { kafka: { key: { description: string }; schemaIdPayloadEncoding?: string } };
}
interface Channel {
  address: string;
  messages: Record<string, { $ref: string }>;
  bindings: { kafka: { partitions: number; topicConfiguration: Record<string, unknown> } };
}
interface Doc {
  asyncapi: string;
  channels: Record<string, Channel>;
  operations: Record<string, { action: string; channel: { $ref: string } }>;
  components: { messages: Record<string, Message> };
}

function document(): Doc {
  return buildAsyncApi('0.0.0') as unknown as Doc;
}

function messageOf(doc: Doc, topic: TopicSpec): Message {
  const channel = doc.channels[channelId(topic.name)]!;
  const ref = Object.values(channel.messages)[0]!.$ref;
  return doc.components.messages[ref.split('/').pop()!]!;
}

describe('asyncapi', () => {
  it('asyncapi – the committed docs/asyncapi.json equals the document generated from the topic list (run `hycal docs asyncapi --write`)', () => {
    expect(readFileSync(ASYNCAPI_PATH, 'utf8')).toBe(renderAsyncApi(packageVersion()));
  });

  it('asyncapi – every declared topic has a channel with its Kafka binding, a receive operation and a message', () => {
    const doc = document();
    expect(doc.asyncapi).toBe('3.0.0');
    expect(Object.keys(doc.channels)).toHaveLength(TOPICS.length);
    for (const topic of TOPICS) {
      const channel = doc.channels[channelId(topic.name)]!;
      expect(channel.address).toBe(topic.name);
      expect(channel.bindings.kafka.partitions).toBe(topic.partitions);
      expect(channel.bindings.kafka.topicConfiguration['retention.ms']).toBe(topic.retentionMs);
      expect(messageOf(doc, topic).bindings.kafka.key.description).toBe(topic.key);
      const operation = Object.values(doc.operations).find((op) => op.channel.$ref === `#/channels/${channelId(topic.name)}`);
      expect(operation?.action).toBe('receive');
    }
  });

  it('asyncapi – each payload schema is valid Avro with the Confluent schema-id encoding; dead letters are raw bytes', () => {
    const doc = document();
    for (const topic of TOPICS) {
      const message = messageOf(doc, topic);
      if (topic.valueSchema === null) {
        expect(message.payload.format).toBe('binary');
      } else {
        expect(message.payload.schemaFormat).toMatch(/^application\/vnd\.apache\.avro/);
        expect(() => avro.Type.forSchema(message.payload.schema!)).not.toThrow();
        expect(message.bindings.kafka.schemaIdPayloadEncoding).toBe('confluent');
      }
    }
  });

  it('asyncapi – channel ids are unique and a dead-letter twin is told apart from its topic', () => {
    const extra: TopicSpec = { ...TOPICS[0]!, name: 'a.b-c.v1' };
    expect(channelId('calendar.raw.v1')).toBe('calendarRaw');
    expect(channelId('calendar.raw.v1.dlq.v1')).toBe('calendarRawDlq');
    expect(channelId(extra.name)).toBe('aBC');
    expect(new Set(TOPICS.map((t) => channelId(t.name))).size).toBe(TOPICS.length);
  });
});
