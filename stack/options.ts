import { z } from 'zod';

const port = z.coerce.number().int().min(1024).max(65_535);

/**
 * Options of the local stack (`hycal stack up`). Ports sit away from the usual defaults so a
 * developer's own Kafka, registry or mongod keeps running beside it.
 */
export const localStackOptionsSchema = z.object({
  kafkaPort: port.default(19092).describe('HYCAL_KAFKA_PORT: Kafka client listener on 127.0.0.1'),
  kafkaControllerPort: port.default(19093).describe('HYCAL_KAFKA_CONTROLLER_PORT: KRaft controller listener'),
  registryPort: port.default(18081).describe('HYCAL_REGISTRY_PORT: Apicurio Registry HTTP port'),
  registryManagementPort: port
    .default(19081)
    .describe('HYCAL_REGISTRY_MANAGEMENT_PORT: Apicurio Registry 3.3 management (health, metrics) port'),
  mongoPort: port.default(27018).describe('HYCAL_MONGO_PORT: FerretDB (MongoDB wire protocol) port'),
  mode: z
    .enum(['auto', 'local', 'docker'])
    .default('auto')
    .describe('HYCAL_STACK_MODE: auto = Docker when an engine answers, else local packages'),
  startTimeoutMs: z.coerce
    .number()
    .int()
    .min(5_000)
    .default(180_000)
    .describe('HYCAL_STACK_START_TIMEOUT_MS: how long to wait for each part to become healthy (ms)'),
  cacheDir: z.string().min(1).optional().describe('HYCAL_CACHE_DIR: user-level cache (default ~/.cache/hybrid-calendar)'),
});

export type LocalStackOptions = z.infer<typeof localStackOptionsSchema>;

export const LOCAL_STACK_ENV: Readonly<Record<string, keyof LocalStackOptions>> = Object.freeze({
  HYCAL_KAFKA_PORT: 'kafkaPort',
  HYCAL_KAFKA_CONTROLLER_PORT: 'kafkaControllerPort',
  HYCAL_REGISTRY_PORT: 'registryPort',
  HYCAL_REGISTRY_MANAGEMENT_PORT: 'registryManagementPort',
  HYCAL_MONGO_PORT: 'mongoPort',
  HYCAL_STACK_MODE: 'mode',
  HYCAL_STACK_START_TIMEOUT_MS: 'startTimeoutMs',
  HYCAL_CACHE_DIR: 'cacheDir',
});
