import { z } from 'zod';
import { ConfigError } from '../common/index.js';

/**
 * Runtime options (DESIGN.md section 4). Durations are milliseconds. `compileRuntimeOptions` is the
 * only place that throws: a bad value fails at start naming the key.
 */
export const runtimeOptionsSchema = z.object({
  maxConcurrentKeys: z.number().int().min(1).max(100_000).default(256)
    .describe('How many keys (actors) run a processor at the same time in one worker'),
  partitionsConsumedConcurrently: z.number().int().min(1).max(1_000).default(16)
    .describe('How many partitions kafkajs hands to the runtime at once'),
  retry: z.object({
    initialMs: z.number().int().min(1).default(100).describe('First back-off after a transient failure, ms'),
    maxMs: z.number().int().min(1).default(10_000).describe('Back-off ceiling, ms'),
    factor: z.number().min(1).default(2).describe('Back-off growth per attempt'),
    maxAttempts: z.number().int().min(1).default(8)
      .describe('Attempts of a processor before its record goes to the dead-letter topic'),
    unavailableMaxWaitMs: z.number().int().min(0).default(3_600_000)
      .describe('How long a record keeps waiting (capped back-off) while its failure says a dependency is unavailable (retryable HcError with a code ending in _UNAVAILABLE, or details.waitForRecovery), without using up maxAttempts; then it is dead-lettered. 0 treats such failures like any transient one, ms'),
  }).prefault({}),
  drainTimeoutMs: z.number().int().min(0).default(15_000)
    .describe('How long stop (SIGTERM) and a rebalance wait for in-flight work before abandoning it, ms'),
  dispatchSliceMs: z.number().int().min(0).max(10_000).default(10)
    .describe('Longest stretch a runtime runs records without giving the event loop a turn (processors that finish synchronously would otherwise run a whole fetched batch in one go, holding up produce acknowledgements, heartbeats, lease renewals and the other runtimes of the process); 0 turns slicing off, ms'),
  passivationIdleMs: z.number().int().min(0).default(60_000)
    .describe('An actor idle this long is dropped from memory; its state reloads on the next record, ms'),
  maxActors: z.number().int().min(1).default(50_000)
    .describe('Idle actors beyond this count are passivated at once, oldest first (memory bound)'),
  timerPollMs: z.number().int().min(10).default(200).describe('How often due timers are looked for, ms'),
  timerIndexShards: z.number().int().min(1).max(4_096).default(64)
    .describe('Documents a partition\'s timer index is spread over (by key hash): FerretDB rewrites a whole document per update, so each must stay small (about 1,000 keys with timers or fewer). Changing it orphans existing index entries: keep it for a deployment\'s lifetime'),
  batchHoldMs: z.number().int().min(10).default(1_000)
    .describe('How long the eachBatch handler waits for a batch to finish; then its unfinished records stay with their actors (later records of their keys queue behind them), fetching goes on and commits stop at the first unfinished record, ms'),
  maxPendingPerPartition: z.number().int().min(1).default(10_000)
    .describe('Unfinished records of one partition beyond which it is paused until half of them are done (memory bound while a key waits)'),
  maxUnwrittenItems: z.number().int().min(1).default(20_000)
    .describe('Records whose messages are produced while their MongoDB writes (views, state) are still queued, beyond which producing waits for a write cycle (memory bound while MongoDB is the slower of the two)'),
  commitIntervalMs: z.number().int().min(10).default(1_000)
    .describe('How often durable progress is committed while a batch is still in flight, ms'),
  heartbeatIntervalMs: z.number().int().min(100).default(3_000).describe('kafkajs heartbeat interval, ms'),
  sessionTimeoutMs: z.number().int().min(1_000).default(30_000).describe('Consumer group session timeout, ms'),
  rebalanceTimeoutMs: z.number().int().min(1_000).default(60_000).describe('Consumer group rebalance timeout, ms'),
  maxWaitTimeMs: z.number().int().min(10).default(1_000)
    .describe('Longest a fetch waits for data; also bounds how fast stop notices, ms'),
  maxBytesPerPartition: z.number().int().min(1_024).default(1_048_576).describe('Fetch size per partition, bytes'),
  maxProduceBytes: z.number().int().min(1_024).default(900_000)
    .describe('Largest produce request of one effects cycle, bytes (stay under the broker message.max.bytes)'),
  maxRecordBytes: z.number().int().min(1_024).default(1_000_000)
    .describe('Largest record (value, key and headers) a topic accepts: the broker\'s message.max.bytes (1 MiB by default) less a margin. A larger emit fails its record (dead letter) instead of a flush cycle, bytes'),
  producerMaxInFlight: z.number().int().min(1).max(5).default(1)
    .describe('Produce requests in flight per broker; 1 keeps every partition strictly ordered even across retries'),
  mongoWriteMode: z.enum(['sequential', 'bulk']).default('bulk')
    .describe('bulk: unordered bulkWrites (on the local FerretDB 0.55 ms per 2 KB guarded upsert in bulks of 20, against 2.0 ms one at a time); sequential: one guarded upsert at a time'),
  bulkMaxOps: z.number().int().min(1).max(100_000).default(20)
    .describe('Operations per bulkWrite in bulk mode (FerretDB slows down super-linearly beyond a few tens; MongoDB takes 1,000 well)'),
  bulkInFlight: z.number().int().min(1).max(16).default(2)
    .describe('bulkWrites in flight at once in bulk mode (a phase\'s ops name distinct documents, so their order does not matter)'),
  ownership: z.object({
    leases: z.boolean().default(true)
      .describe('Partition leases in MongoDB: a new owner starts a partition only after the previous one finished its running work (no key in two workers at once). false only for a deployment with a single worker'),
    leaseMs: z.number().int().min(1_000).optional()
      .describe('A lease not renewed for this long may be taken over (a crashed worker); default sessionTimeoutMs. Worker clocks must agree within a quarter of it, ms'),
    pollMs: z.number().int().min(10).default(200).describe('How often a new owner looks whether the previous one handed the partition off, ms'),
    maxClockSkewMs: z.number().int().min(1).optional()
      .describe('Largest skew of this worker\'s wall clock against MongoDB\'s server time (measured at every lease renewal) before the worker gives its leases up and reports not ready; default leaseMs/8, so that any two workers agree within the lease margin (leaseMs/4), ms'),
    handoffWarnMs: z.number().int().min(100).default(30_000)
      .describe('A handoff waiting this long for a processor call still running logs a warning (again every such period), ms'),
  }).prefault({}),
  fromBeginning: z.boolean().default(true).describe('Where a new consumer group starts'),
});

export type RuntimeOptions = z.output<typeof runtimeOptionsSchema>;
export type RuntimeOptionsInput = z.input<typeof runtimeOptionsSchema>;

export function compileRuntimeOptions(input: RuntimeOptionsInput = {}): RuntimeOptions {
  const parsed = runtimeOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `runtime.${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid runtime options. ${problems.join('; ')}`, { cause: parsed.error });
  }
  return Object.freeze(parsed.data);
}
