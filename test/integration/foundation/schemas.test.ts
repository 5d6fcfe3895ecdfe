import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import avro from 'avsc';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import {
  createSchemaRegistry,
  readSchemaFile,
  registerAvro,
  registerTopicSchemas,
  SchemaIncompatibleError,
  TOPICS,
  TopicCodec,
  type PresenceChange,
} from '../../../schemas/index.js';
import { testStack, uniqueName } from '../../support/stack.js';

const v1 = {
  type: 'record',
  name: 'Sample',
  namespace: 'io.hybridcalendar.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'count', type: 'int' },
  ],
};
const v2 = { ...v1, fields: [...v1.fields, { name: 'note', type: ['null', 'string'], default: null }] };
const incompatible = { ...v1, fields: [v1.fields[0], { name: 'count', type: 'string' }] };

describe('schemas against the real registry', () => {
  let registry: SchemaRegistry;
  beforeAll(() => {
    registry = createSchemaRegistry(testStack().schemaRegistryUrl);
  });
  afterAll(() => undefined);

  it('schemas – registers every topic value schema under <topic>-value, idempotently', async () => {
    const prefix = `${uniqueName('schemas')}.`;
    const first = await registerTopicSchemas(registry, { prefix });
    const again = await registerTopicSchemas(registry, { prefix });
    const withSchema = TOPICS.filter((topic) => topic.valueSchema !== null).map((topic) => topic.name);
    expect([...first.keys()].sort()).toEqual([...withSchema].sort());
    expect([...again.entries()]).toEqual([...first.entries()]);
  });

  it('schemas – a v2 reader reads v1 records and a v1 reader reads v2 records (new optional field)', async () => {
    const subject = `${uniqueName('evolve')}-value`;
    const id1 = await registerAvro(registry, subject, v1);
    const id2 = await registerAvro(registry, subject, v2);
    expect(id2).not.toBe(id1);

    const written1 = await registry.encode(id1, { id: 'a', count: 1 });
    const written2 = await registry.encode(id2, { id: 'b', count: 2, note: 'hello' });

    // v2 reader on v1 data: the new field takes its default.
    const v2Type = avro.Type.forSchema(v2 as avro.Schema);
    const v1Type = avro.Type.forSchema(v1 as avro.Schema);
    const readV1WithV2 = v2Type.createResolver(v1Type);
    expect(v2Type.fromBuffer(written1.subarray(5), readV1WithV2)).toMatchObject({ id: 'a', count: 1, note: null });
    // v1 reader on v2 data: the unknown field is skipped.
    const readV2WithV1 = v1Type.createResolver(v2Type);
    expect(v1Type.fromBuffer(written2.subarray(5), readV2WithV1)).toMatchObject({ id: 'b', count: 2 });
    // And through the registry with the writer's schema.
    expect(await registry.decode(written1)).toMatchObject({ id: 'a', count: 1 });
    expect(await registry.decode(written2)).toMatchObject({ id: 'b', count: 2, note: 'hello' });
  });

  it('schemas – the registry refuses an incompatible change under BACKWARD', async () => {
    const subject = `${uniqueName('refuse')}-value`;
    await registerAvro(registry, subject, v1);
    await expect(registerAvro(registry, subject, incompatible)).rejects.toBeInstanceOf(SchemaIncompatibleError);
  });

  it('schemas – the topic codec round-trips a presence value in the Confluent wire format', async () => {
    const codec = await new TopicCodec(registry, { prefix: `${uniqueName('codec')}.` }).init();
    const value: PresenceChange = {
      tenantId: 't1',
      userId: 'u1',
      outOfOffice: true,
      since: 1_767_600_000_000,
      until: null,
      version: 3,
      updatedAt: 1_767_600_000_500,
    };
    const bytes = await codec.encode('presence.v1', value);
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(codec.schemaId('presence.v1'));
    expect(await codec.decode('presence.v1', bytes)).toEqual(value);
  });

  it('schemas – every schema file parses as Avro', () => {
    for (const topic of TOPICS) {
      const file = topic.valueSchema;
      if (file === null) continue;
      expect(() => avro.Type.forSchema(readSchemaFile(file) as avro.Schema)).not.toThrow();
    }
  });
});
