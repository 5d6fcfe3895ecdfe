import { z } from 'zod';
import { apiServiceConfigSchema } from '../api/index.js';
import { connectorServiceConfigSchema } from '../connectors/graph/index.js';
import { kmsOptionsSchema } from '../kms/index.js';
import { opsOptionsSchema } from '../ops/index.js';
import { writebackOptionsSchema } from '../processors/writeback/index.js';
import { runtimeOptionsSchema } from '../runtime/index.js';
import { localStackOptionsSchema } from '../stack/index.js';

/**
 * The one configuration schema of the service. Each area's options live beside its code as a zod
 * object and are composed here; `loadConfig` validates once at start and freezes the result, and
 * only the composition root (app/) calls it. Every key has a default and a unit in its description;
 * which environment variable sets a key is said once, in environment.ts; docs/configuration.md
 * lists them.
 */
export const stackConfigSchema = z.object({
  kafkaBrokers: z
    .string()
    .min(1)
    .default('127.0.0.1:19092')
    .describe('comma-separated host:port list of Kafka bootstrap servers'),
  schemaRegistryUrl: z
    .url()
    .default('http://127.0.0.1:18081/apis/ccompat/v7')
    .describe('base URL of the Confluent-compatible schema registry API'),
  mongodbUri: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
    .default('mongodb://127.0.0.1:27018/')
    .describe('MongoDB connection string (FerretDB locally, mongod with Docker)'),
  mongodbDatabase: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, 'letters, digits, _ and - only, at most 63 characters')
    .default('hycal')
    .describe('database that holds views and service state'),
  topicPrefix: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, ., _ and - only')
    .default('')
    .describe('prefix for every topic name (tests use a random one)'),
});

export const configSchema = z.object({
  stack: stackConfigSchema.prefault({}),
  localStack: localStackOptionsSchema.prefault({}),
  kms: kmsOptionsSchema.prefault({}),
  runtime: runtimeOptionsSchema.prefault({}),
  ops: opsOptionsSchema.prefault({}),
  connector: connectorServiceConfigSchema.prefault({}),
  writeback: writebackOptionsSchema.prefault({}),
  api: apiServiceConfigSchema.prefault({}),
  logLevel: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('minimum level written to the JSON log'),
});

export type HycalConfig = z.infer<typeof configSchema>;
export type StackConfig = z.infer<typeof stackConfigSchema>;
