import type { Processor } from './contract.js';
import { TopologyInvalidError } from './errors.js';
import type { RecordFailurePolicy } from './failure-policy.js';

/** How an input topic's value bytes become the value the first stage sees. */
export type ValueDecoder = (bytes: Buffer, topic: string) => unknown;

export interface TopologyInput {
  /** Topic name without the deployment prefix. */
  readonly topic: string;
  /**
   * Decodes a value. Default: the Avro codec of the topic (Confluent wire format through the
   * registry); a decoding failure is permanent and dead-letters the record.
   */
  readonly decode?: ValueDecoder;
}

/**
 * A topology: input topics, a chain of processors (stage i `forward`s to stage i+1 in memory), the
 * topics it writes and how many keys run at once. Its name is the consumer group and names its
 * state collections. Stateful topologies should read one input (or co-partitioned inputs with the
 * same key), so a key lives in exactly one partition.
 */
export interface Topology {
  readonly name: string;
  readonly inputs: readonly TopologyInput[];
  readonly stages: readonly Processor<never, never>[];
  readonly outputs?: readonly string[];
  readonly maxConcurrentKeys?: number;
  /**
   * What happens to a record or timer whose processing (or decoding) failed: default
   * `retryThenDeadLetter(runtime.retry)` (failure-policy.ts).
   */
  readonly failurePolicy?: RecordFailurePolicy;
}

export function defineTopology(topology: Topology): Topology {
  if (!/^[A-Za-z0-9_-]+$/.test(topology.name)) {
    throw new TopologyInvalidError(`Topology name "${topology.name}" may hold letters, digits, '-' and '_' only.`);
  }
  if (topology.inputs.length === 0) throw new TopologyInvalidError(`Topology ${topology.name} reads no input topic; declare at least one.`);
  if (topology.stages.length === 0) throw new TopologyInvalidError(`Topology ${topology.name} has no processor; declare at least one stage.`);
  const names = topology.stages.map((stage) => stage.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) throw new TopologyInvalidError(`Topology ${topology.name} has two stages named ${duplicate}; stage names key their state.`);
  const topics = topology.inputs.map((input) => input.topic);
  if (new Set(topics).size !== topics.length) throw new TopologyInvalidError(`Topology ${topology.name} lists an input topic twice.`);
  return Object.freeze({ ...topology });
}

export function isStateful(topology: Topology): boolean {
  return topology.stages.some((stage) => stage.stateful !== false);
}
