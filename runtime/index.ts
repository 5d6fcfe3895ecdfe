export type {
  InputRecord,
  TimerFired,
  KeyState,
  ViewWriter,
  ViewUpsertOptions,
  ProcessorMetrics,
  ProcessorContext,
  ProcessorInitContext,
  Processor,
} from './contract.js';
export { defineTopology, isStateful } from './topology.js';
export type { Topology, TopologyInput, ValueDecoder } from './topology.js';
export { Runtime } from './worker.js';
export type { RuntimeDeps } from './worker.js';
export { runtimeOptionsSchema, compileRuntimeOptions } from './options.js';
export type { RuntimeOptions, RuntimeOptionsInput } from './options.js';
export { RuntimeMetrics } from './metrics.js';
export { HotHistogram } from './hot-histogram.js';
export type { HotHistogramConfig } from './hot-histogram.js';
export { MongoSink, collapseUpserts, isDuplicateKey } from './sink.js';
export { createKeyPartitioner, murmur2 } from './partitioner.js';
export type { GuardedUpsert, SinkResult } from './sink.js';
export { Dispatcher, Actor } from './actors.js';
export type { WorkItem, DispatcherOptions } from './actors.js';
export { PartitionProgress } from './progress.js';
export { PartitionLeases, UnfencedOwnership, claimId, workerInstanceId } from './ownership.js';
export { ClockSkewMonitor, helloServerTime } from './clock-skew.js';
export type { ClockSkewSample, ServerTime } from './clock-skew.js';
export type { PartitionOwnership, LeaseTiming, OwnershipHooks } from './ownership.js';
export { classifyFailure, backoffDelay, waitsForRecovery } from './supervision.js';
export type { FailureKind, BackoffPolicy } from './supervision.js';
export { validateDocument, fieldName, fromFieldName } from './documents.js';
export { shardOf } from './work.js';
export { retryThenDeadLetter } from './failure-policy.js';
export type { RecordFailurePolicy, FailureTracker, FailureContext, FailureDecision, RetryPolicyOptions } from './failure-policy.js';
export {
  ProcessorFailedError,
  InvalidDocumentError,
  RuntimeUnavailableError,
  WorkAbandonedError,
  TopologyInvalidError,
  DeadLetterError,
  RecordTooLargeError,
  EffectRefusedError,
} from './errors.js';
export { listDeadLetters, replayDeadLetters } from './dlq.js';
export type { DeadLetter, DeadLetterSelection, ReplayOptions, ReplayProgress, ReplayResult } from './dlq.js';
export { registerDlqCommands } from './cli.js';
export type { DlqCommandDeps } from './cli.js';
