import avro from 'avsc';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { createSchemaRegistry } from '../../../schemas/index.js';

/**
 * The real registry client with no server: registering puts the schema into the client's own
 * cache (what it does after a lookup), so encode and decode run the library's code paths offline.
 * `failLookups(n)` makes the next n schema lookups fail as an unreachable registry does.
 */
export function offlineRegistry(): { registry: SchemaRegistry; failLookups(n: number): void; lookups(): number } {
  const registry = createSchemaRegistry('http://127.0.0.1:1');
  const cache = (registry as unknown as { cache: { setSchema(id: number, type: string, schema: unknown): void } }).cache;
  const ids = new Map<string, number>();
  let failing = 0;
  let lookups = 0;
  Object.assign(registry, {
    register: (schema: { schema: string }) => {
      let id = ids.get(schema.schema);
      if (id === undefined) {
        id = ids.size + 1;
        ids.set(schema.schema, id);
        cache.setSchema(id, 'AVRO', avro.Type.forSchema(JSON.parse(schema.schema) as avro.Schema));
      }
      return Promise.resolve({ id });
    },
  });
  const getSchema = registry.getSchema.bind(registry);
  registry.getSchema = async (id: number) => {
    lookups += 1;
    if (failing > 0) {
      failing -= 1;
      throw Object.assign(new Error('Confluent_Schema_Registry - Error, status 400: connect ECONNREFUSED 127.0.0.1:1'), { name: 'ResponseError', status: 400 });
    }
    return getSchema(id);
  };
  return { registry, failLookups: (n) => { failing = n; }, lookups: () => lookups };
}
