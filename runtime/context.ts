import type { Clock } from '../common/index.js';
import type { Logger } from '../common/index.js';
import type { TopicValues } from '../schemas/index.js';
import type { RecordEncoder } from './codec.js';
import type { Processor, ProcessorContext, ProcessorMetrics, ViewUpsertOptions } from './contract.js';
import { recordSize } from './dead-letters.js';
import { fieldName, validateDocument } from './documents.js';
import { InvalidDocumentError, ProcessorFailedError, RecordTooLargeError } from './errors.js';
import type { FlushItem, OutboundMessage } from './flusher.js';
import type { GuardedUpsert } from './sink.js';
import type { TimerIndexChange, TimerIndexStore } from './timers.js';
import { minDue, type ActorMemory, type PartitionSession } from './work.js';

export const DELETED = Symbol('deleted');

/**
 * A key's state document is stored `{_id, v, o, b}`: the stages' state and the timers (`s`, `t`:
 * hundreds of fields for a busy room) packed as one BSON field, the applied offsets (`o`) in the
 * open. The store unpacks it on read (sink.ts).
 */
const STATE_PACKED: readonly string[] = ['s', 't'];

export interface TimerChange {
  readonly stage: string;
  readonly id: string;
  /** null cancels the timer. */
  readonly due: number | null;
  readonly p: Record<string, unknown>;
}

/** What one invocation (a record through the chain, or one timer) did. */
export class Effects {
  /** In emit order; Avro values are still being encoded (promises), raw ones are ready. */
  readonly messages: (OutboundMessage | Promise<OutboundMessage>)[] = [];
  pendingEncodes = 0;
  readonly views: GuardedUpsert[] = [];
  readonly state = new Map<string, unknown>();
  readonly timers: TimerChange[] = [];
  scheduled = 0;

  async resolveMessages(): Promise<OutboundMessage[]> {
    if (this.pendingEncodes === 0) return this.messages as OutboundMessage[];
    return Promise.all(this.messages.map((m) => (m instanceof Promise ? m : Promise.resolve(m))));
  }

  /** Settles the encodes of a failed attempt (no unhandled rejections). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.messages.filter((m): m is Promise<OutboundMessage> => m instanceof Promise));
  }
}

/** What every stage context of a topology shares. */
export interface ContextDeps {
  readonly topologyName: string;
  readonly prefix: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly codec: RecordEncoder;
  /** The largest record a topic (prefixed name) accepts: min(runtime.maxRecordBytes, its max.message.bytes less a margin), bytes. */
  readonly recordLimit: (topic: string) => number;
  /** Whether the topology stores its stages' state (some stage is stateful); set by the stage chain. */
  readonly storesState?: boolean;
}

/** The message's size (`recordSize`), checked against its topic's limit when the processor emits it. */
function checkedSize(message: OutboundMessage, limitFor: (topic: string) => number, stage: string): number {
  const size = recordSize(message);
  const limit = limitFor(message.topic);
  if (size > limit) {
    throw new RecordTooLargeError(`${stage} emitted a record of ${size} bytes to ${message.topic}; the limit is ${limit}. Split the value, or raise the topic's max.message.bytes and runtime.maxRecordBytes.`);
  }
  return size;
}

/**
 * The context a stage sees for one invocation. A class (not closures) because one is built per
 * record and stage: prototype methods keep the per-record cost to one small object.
 */
export class StageContext implements ProcessorContext<unknown> {
  readonly key: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: ProcessorMetrics;
  readonly #memory: ActorMemory;
  #state: StageState | null = null;
  #views: StageViews | null = null;
  readonly #deps: ContextDeps;
  readonly #stage: Processor<unknown, unknown>;
  readonly #isLast: boolean;
  readonly #effects: Effects;
  readonly #forwards: unknown[];

  constructor(deps: ContextDeps, stage: Processor<unknown, unknown>, isLast: boolean, key: string, memory: ActorMemory, effects: Effects, forwards: unknown[], metrics: ProcessorMetrics) {
    this.#deps = deps;
    this.#stage = stage;
    this.#isLast = isLast;
    this.#effects = effects;
    this.#forwards = forwards;
    this.key = key;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.metrics = metrics;
    this.#memory = memory;
  }

  /** Built when a processor first uses it (a stateless stage never does: one object less per record). */
  get state(): StageState {
    this.#state ??= new StageState(this.#stage.name, this.#memory, this.#effects, this.#deps.storesState !== false);
    return this.#state;
  }

  get views(): StageViews {
    this.#views ??= new StageViews(this.#effects);
    return this.#views;
  }

  emit<T extends keyof TopicValues>(topic: T, key: string, value: TopicValues[T]): void {
    const { prefix, recordLimit } = this.#deps;
    const stage = this.#stage.name;
    const promise = this.#deps.codec.encode(topic, value).then((bytes): OutboundMessage => {
      const message = { topic: `${prefix}${topic}`, key, value: bytes, size: 0 };
      message.size = checkedSize(message, recordLimit, stage);
      return message;
    });
    promise.catch(() => undefined);
    this.#effects.messages.push(promise);
    this.#effects.pendingEncodes += 1;
  }

  emitRaw(topic: string, key: string | null, value: Buffer | null, headers?: Readonly<Record<string, string>>): void {
    const name = `${this.#deps.prefix}${topic}`;
    const message: { -readonly [K in keyof OutboundMessage]: OutboundMessage[K] } & { size: number } = headers === undefined ? { topic: name, key, value, size: 0 } : { topic: name, key, value, headers, size: 0 };
    message.size = checkedSize(message, this.#deps.recordLimit, this.#stage.name);
    this.#effects.messages.push(message);
  }

  forward(value: unknown): void {
    if (this.#isLast) throw new ProcessorFailedError(`${this.#stage.name} is the last stage of ${this.#deps.topologyName}; there is no stage to forward to.`);
    this.#forwards.push(value);
  }

  schedule(at: number, payload: Record<string, unknown>, id?: string): string {
    const name = this.#stage.name;
    if (this.#stage.stateful === false) throw new ProcessorFailedError(`${name} schedules a timer but declares stateful: false; timers live in the key's state.`);
    if (!Number.isFinite(at)) throw new ProcessorFailedError(`${name} scheduled a timer at ${at}; give a UTC millisecond time.`);
    validateDocument(payload, `timer payload of ${name}`);
    const timerId = id ?? `${at}#${this.#effects.scheduled}`;
    this.#effects.scheduled += 1;
    this.#effects.timers.push({ stage: name, id: timerId, due: at, p: payload });
    return timerId;
  }

  cancel(id: string): void {
    this.#effects.timers.push({ stage: this.#stage.name, id, due: null, p: {} });
  }
}

class StageState {
  readonly #stage: string;
  readonly #memory: ActorMemory;
  readonly #effects: Effects;
  /** The state is stored (checked as a document when set); false in a stateless topology, whose state stays in memory. */
  readonly #stored: boolean;

  constructor(stage: string, memory: ActorMemory, effects: Effects, stored: boolean) {
    this.#stage = stage;
    this.#memory = memory;
    this.#effects = effects;
    this.#stored = stored;
  }

  get(): unknown {
    const written = this.#effects.state.get(this.#stage);
    if (written === DELETED) return undefined;
    return written !== undefined ? written : this.#memory.doc.s[this.#stage];
  }

  set(value: unknown): void {
    if (this.#stored) validateDocument(value, `state of ${this.#stage}`);
    this.#effects.state.set(this.#stage, value);
  }

  delete(): void {
    this.#effects.state.set(this.#stage, DELETED);
  }
}

class StageViews {
  readonly #effects: Effects;

  constructor(effects: Effects) {
    this.#effects = effects;
  }

  upsert(collection: string, id: string, version: number, document: Record<string, unknown>, options: ViewUpsertOptions = {}): void {
    if ('_id' in document || 'v' in document) throw new ProcessorFailedError(`A view document for ${collection} must not carry _id or v; the runtime sets them.`);
    validateVersion(collection, version);
    validateDocument(document, `${collection}/${id}`);
    const packed = options.packed;
    this.#effects.views.push(packed === undefined || packed.length === 0 ? { collection, id, v: version, doc: document } : { collection, id, v: version, doc: document, packed });
  }

  remove(collection: string, id: string, version: number): void {
    validateVersion(collection, version);
    this.#effects.views.push({ collection, id, v: version, doc: null });
  }
}

/**
 * A view's version is its guard (`v: {$lt: version}`): a NaN or infinite one can never be stored,
 * and FerretDB 1.24 answers a NaN by closing the connection, which looks like an outage and held the
 * whole flusher retrying forever (re-producing that cycle's dead letters at every attempt). It fails
 * its record here, permanently, like any other invalid document.
 */
function validateVersion(collection: string, version: number): void {
  if (typeof version !== 'number' || !Number.isFinite(version)) {
    throw new InvalidDocumentError(`The version of a ${collection} view is ${typeof version === 'number' ? String(version) : typeof version}; give a finite number.`);
  }
}

/** What applyEffects needs to know of a topology (built once, not per record). */
export interface StateTarget {
  readonly stateful: boolean;
  readonly stateCollection: string;
  readonly timerIndex: TimerIndexStore;
  /** Per stage name, what of its state is stored (`Processor.persist`); a stage without one stores its state as is. */
  readonly persist: ReadonlyMap<string, (state: unknown) => unknown>;
}

/** The stages' `persist` hooks of a topology, by stage name. */
export function persistHooks(stages: readonly Processor[]): Map<string, (state: unknown) => unknown> {
  const hooks = new Map<string, (state: unknown) => unknown>();
  for (const stage of stages) if (stage.persist !== undefined) hooks.set(stage.name, stage.persist.bind(stage));
  return hooks;
}

/** The stages' states as stored: each through its stage's `persist`, if it has one. */
function storedStates(states: Readonly<Record<string, unknown>>, persist: StateTarget['persist']): Record<string, unknown> {
  if (persist.size === 0) return { ...states };
  const stored: Record<string, unknown> = {};
  for (const [stage, value] of Object.entries(states)) {
    const hook = persist.get(stage);
    stored[stage] = hook === undefined ? value : hook(value);
  }
  return stored;
}

/**
 * Applies one invocation's effects to the actor's memory (state, timers, the applied offset) and
 * builds what the effect writer writes: messages, views, the key's state document (when state or
 * timers changed) and the change of the key's timer-index entry.
 */
export function applyEffects(
  target: StateTarget,
  key: string,
  memory: ActorMemory,
  session: PartitionSession,
  run: { effects: Effects; messages: readonly OutboundMessage[]; progress: { progressKey: string; offset: number } | null; forceState: boolean },
): FlushItem {
  const { effects, progress } = run;
  const doc = memory.doc;
  let changed = run.forceState;
  for (const [stage, value] of effects.state) {
    if (value === DELETED) delete doc.s[stage];
    else doc.s[stage] = value;
    changed = true;
  }
  for (const timer of effects.timers) {
    const field = fieldName(`${timer.stage}/${timer.id}`);
    if (timer.due === null) delete doc.t[field];
    else doc.t[field] = { id: timer.id, stage: timer.stage, due: timer.due, p: timer.p };
    changed = true;
  }
  let state: GuardedUpsert | null = null;
  if (changed && target.stateful) {
    if (progress !== null) doc.o[progress.progressKey] = progress.offset;
    doc.v += 1;
    state = { collection: target.stateCollection, id: key, v: doc.v, doc: { o: { ...doc.o }, s: storedStates(doc.s, target.persist), t: { ...doc.t } }, packed: STATE_PACKED };
  }
  const timerIndex: TimerIndexChange[] = [];
  const indexed = session.timers.get(key) ?? null;
  const earliest = minDue(doc.t);
  if (target.stateful && indexed !== earliest) {
    timerIndex.push({ collection: target.timerIndex.collection, bucket: target.timerIndex.bucketId(session, key), field: fieldName(key), before: indexed, after: earliest });
    if (earliest === null) session.timers.delete(key);
    else session.timers.set(key, earliest);
  }
  return { messages: run.messages, views: effects.views, state, timerIndex, fence: session.fence };
}
