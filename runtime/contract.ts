import type { Clock } from '../common/index.js';
import type { Logger } from '../common/index.js';
import type { TopicValues } from '../schemas/index.js';

/**
 * The processor contract (DESIGN.md section 4): a processor is a small object with `init`,
 * `process` and `close`. Everything it does to the world goes through the context, so the runtime
 * can make it durable before committing the input offset, and tests can drive it with a
 * controllable clock.
 */

/** A record delivered to a processor: one key's records arrive strictly in order. */
export interface InputRecord<V> {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offset as a decimal string (kafkajs convention). */
  readonly offset: string;
  readonly key: string;
  readonly value: V;
  /** Raw bytes as read from Kafka (what a dead letter carries). */
  readonly raw: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
  /** Record timestamp, UTC ms. */
  readonly timestamp: number;
}

/** A durable timer firing through its owning actor, in order with the actor's records. */
export interface TimerFired<P = Record<string, unknown>> {
  readonly id: string;
  readonly key: string;
  readonly dueAt: number;
  readonly payload: P;
}

/**
 * Per-key state, loaded on activation, written durably before the input offset is committed.
 * Treat the value from `get()` as immutable and `set()` a new one: a failed attempt is retried
 * from the state before it.
 */
export interface KeyState<S> {
  get(): S | undefined;
  set(value: S): void;
  delete(): void;
}

/** Idempotent, version-guarded view writes (`{_id, v: {$lt: n}}`). */
export interface ViewUpsertOptions {
  /**
   * Fields stored together as one BSON binary field (common/packed.ts), for a large document read
   * whole (a day of meetings, a device's bookings): FerretDB writes and reads it 4–5 times faster.
   * Readers put them back with `unpackDocument`.
   */
  readonly packed?: readonly string[];
}

export interface ViewWriter {
  upsert(collection: string, id: string, version: number, document: Record<string, unknown>, options?: ViewUpsertOptions): void;
  remove(collection: string, id: string, version: number): void;
}

export interface ProcessorMetrics {
  increment(name: string, labels?: Record<string, string>, by?: number): void;
  observe(name: string, value: number, labels?: Record<string, string>): void;
}

export interface ProcessorContext<S> {
  /** The actor's key (e.g. tenantId/mailboxId). */
  readonly key: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: ProcessorMetrics;
  readonly state: KeyState<S>;
  readonly views: ViewWriter;
  /** Emits a record to a topic (Avro through the registry); durable before the input commits. */
  emit<T extends keyof TopicValues>(topic: T, key: string, value: TopicValues[T]): void;
  /**
   * Emits raw bytes to a topic (no schema), for topics outside the Avro list: test and benchmark
   * topics, passthroughs. Durable before the input commits, like `emit`.
   */
  emitRaw(topic: string, key: string | null, value: Buffer | null, headers?: Readonly<Record<string, string>>): void;
  /** Hands a value in memory to the next stage of the same topology (never through a topic). */
  forward(value: unknown): void;
  /** Schedules a durable timer; the same id replaces an earlier timer. Returns the id. */
  schedule(at: number, payload: Record<string, unknown>, id?: string): string;
  /** Cancels a timer of this processor and key; unknown ids are ignored. */
  cancel(id: string): void;
}

export interface ProcessorInitContext {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: ProcessorMetrics;
}

export interface Processor<V = unknown, S = unknown> {
  readonly name: string;
  /**
   * Whether the processor keeps per-key state or timers (default true). The runtime loads a key's
   * state document on activation only when some stage of the topology is stateful; a stateless
   * topology pays no read per key and writes no state document. In a stateless topology
   * `ctx.state` lives in the actor's memory only (gone when the actor is passivated or reloaded):
   * for a stage whose own views hold what it needs to start again.
   */
  readonly stateful?: boolean;
  /**
   * What of the stage's state is stored in the key's state document (default: all of it). The
   * actor keeps the state as set in memory; a key loaded from the store gets what `persist`
   * returned, so the processor must accept both forms (e.g. fill the rest from its own views).
   */
  persist?(state: S): unknown;
  init?(ctx: ProcessorInitContext): Promise<void> | void;
  process(record: InputRecord<V>, ctx: ProcessorContext<S>): Promise<void> | void;
  onTimer?(timer: TimerFired, ctx: ProcessorContext<S>): Promise<void> | void;
  close?(): Promise<void> | void;
}
