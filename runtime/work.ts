import type { KafkaMessage } from 'kafkajs';
import type { WorkItem } from './actors.js';
import { ProcessorFailedError } from './errors.js';
import type { DueTimers } from './due-timers.js';
import type { ValueDecoder } from './topology.js';

/** A timer as stored in its key's state document. */
export interface StoredTimer {
  readonly id: string;
  readonly stage: string;
  readonly due: number;
  readonly p: Record<string, unknown>;
}

/**
 * A key's state document `{_id: key, v, o, s, t}`: `v` counts state changes (the version guard),
 * `o` the last applied offset per input partition (records at or below it are already applied and
 * are skipped on redelivery), `s` the state of each stage, `t` the key's timers. State and timers
 * live in one document, so a timer's removal and the state its firing produced land atomically.
 */
export interface KeyDocument {
  v: number;
  o: Record<string, number>;
  s: Record<string, unknown>;
  t: Record<string, StoredTimer>;
}

export interface ActorMemory {
  doc: KeyDocument;
}

/** One assigned partition while this worker owns it. */
export interface PartitionSession {
  readonly tag: string;
  /** Topic name as in Kafka (with prefix). */
  readonly topic: string;
  /** Topic name without prefix (as in the topology). */
  readonly logicalTopic: string;
  readonly partition: number;
  readonly inputIndex: number;
  readonly decode: ValueDecoder;
  readonly controller: AbortController;
  /** Timer index of this partition: key → earliest due time, with a heap of due times (timers.ts). */
  readonly timers: DueTimers;
  /** Lease bucket (`<topic>|<partition>`, the topic as in Kafka). */
  readonly bucket: string;
  /** The lease is held: items may run. Before that, fetched records wait in `parked`. */
  owned: boolean;
  parked: RecordItem[];
  /** Items of this partition inside the executor right now. */
  active: number;
  /** Resolved when `active` drops to 0. */
  quietWaiters: (() => void)[];
  /** False once the partition's lease is lost: effects not yet written are dropped. */
  readonly fence: () => boolean;
  /**
   * A record of this session was given up (its effects not written): no further item of the
   * session runs; the partition restarts from its durable prefix in a new session.
   */
  givenUp: boolean;
}

/** FNV-1a of the key, modulo the shard count. */
export function shardOf(key: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

/** Resolves when no item of the partition runs any more (their effects are submitted by then). */
export function whenQuiet(session: PartitionSession): Promise<void> {
  if (session.active === 0) return Promise.resolve();
  return new Promise((resolve) => session.quietWaiters.push(resolve));
}

interface ItemBase extends WorkItem {
  readonly session: PartitionSession;
}

export interface RecordItem extends ItemBase {
  readonly kind: 'record';
  readonly message: KafkaMessage;
  readonly key: string;
  /** Effects durable (or dead-lettered): the offset may be committed. */
  complete(): void;
  /**
   * The record ran and its effects (or its dead letter) were handed to the effect writer: the
   * batch handler may let the next fetch in while they are written (complete() follows).
   */
  processed?(): void;
}

export interface TimerItem extends ItemBase {
  readonly kind: 'timer';
}

export type RuntimeItem = RecordItem | TimerItem;

/** A timer item for a key whose earliest timer is due; giving it up puts the key back in the heap. */
export function timerItem(session: PartitionSession, key: string): TimerItem {
  return { kind: 'timer', tag: session.tag, session, abandon: () => session.timers.release(key) };
}

export function headerStrings(headers: KafkaMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}

export function minDue(timers: Record<string, StoredTimer>): number | null {
  let min: number | null = null;
  for (const timer of Object.values(timers)) if (min === null || timer.due < min) min = timer.due;
  return min;
}

/** Marks an error with the stage it came from (a thrown non-Error becomes one without its value). */
export function withStage(error: unknown, stage: string): Error {
  const failure = error instanceof Error ? error : new ProcessorFailedError(`${stage} threw a non-Error value (${typeof error}).`);
  return Object.assign(failure, { hcStage: stage });
}

