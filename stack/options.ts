import { z } from 'zod';

const port = z.coerce.number().int().min(1024).max(65_535);

/**
 * Options of the local stack (`hycal stack up`). Ports sit away from the usual defaults so a
 * developer's own Kafka, registry or mongod keeps running beside it.
 */
export const localStackOptionsSchema = z.object({
  kafkaPort: port.default(19092).describe('Kafka client listener on 127.0.0.1'),
  kafkaControllerPort: port.default(19093).describe('KRaft controller listener'),
  registryPort: port.default(18081).describe('Apicurio Registry HTTP port'),
  registryManagementPort: port
    .default(19081)
    .describe('Apicurio Registry 3.3 management (health, metrics) port'),
  mongoPort: port.default(27018).describe('FerretDB (MongoDB wire protocol) port'),
  mongoSynchronous: z
    .enum(['normal', 'full'])
    .default('normal')
    .describe("FerretDB's SQLite synchronous pragma: normal = commits survive a crash of any process, the last ones may not survive power loss (as Kafka's and mongod's defaults); full = fsync at every commit"),
  mode: z
    .enum(['auto', 'local', 'docker'])
    .default('auto')
    .describe('auto = Docker when an engine answers, else local packages'),
  startTimeoutMs: z.coerce
    .number()
    .int()
    .min(5_000)
    .default(180_000)
    .describe('how long to wait for each part to become healthy (ms)'),
  cacheDir: z.string().min(1).optional().describe('user-level cache (default ~/.cache/hybrid-calendar)'),
});

export type LocalStackOptions = z.infer<typeof localStackOptionsSchema>;
