import type { EffectTicket } from './flusher.js';
import type { RecordItem } from './work.js';

/** The executor's side of every ticket (built once per executor: no closure per record). */
export interface TicketHost<A> {
  /** The actor's submitted effects settled (durable or failed): it may become idle. */
  settled(actor: A): void;
  /** Effects were not written (fenced, stopping, refused): logged unless simply abandoned. */
  notWritten(error: unknown): void;
  /** A record's effects are durable: its offset completes. */
  recordDurable(item: RecordItem, timestamp: number): void;
  /** A record's effects were not written: dead-lettered if refused for good, else abandoned. */
  recordFailed(actor: A, item: RecordItem, error: unknown): void;
}

/**
 * What happens when an item's effects are durable or failed (the flusher tells its ticket once).
 * A failure leaves the actor's memory ahead of the store: it reloads its state before its next item.
 */
abstract class Ticket<A extends { stale: boolean }> implements EffectTicket {
  protected readonly host: TicketHost<A>;
  protected readonly actor: A;

  constructor(host: TicketHost<A>, actor: A) {
    this.host = host;
    this.actor = actor;
  }

  durable(): void {
    try {
      this.onDurable();
    } finally {
      this.host.settled(this.actor);
    }
  }

  failed(error: unknown): void {
    try {
      this.actor.stale = true;
      this.host.notWritten(error);
      this.onFailed(error);
    } finally {
      this.host.settled(this.actor);
    }
  }

  protected abstract onDurable(): void;
  protected abstract onFailed(error: unknown): void;
}

/** The ticket of one record's effects (the hot path). */
export class RecordTicket<A extends { stale: boolean }> extends Ticket<A> {
  readonly #item: RecordItem;
  readonly #timestamp: number;

  constructor(host: TicketHost<A>, actor: A, item: RecordItem, timestamp: number) {
    super(host, actor);
    this.#item = item;
    this.#timestamp = timestamp;
  }

  protected onDurable(): void {
    this.host.recordDurable(this.#item, this.#timestamp);
  }

  protected onFailed(error: unknown): void {
    this.host.recordFailed(this.actor, this.#item, error);
  }
}

/** A ticket for the rarer items (timers, dead letters, index corrections). */
export class CallbackTicket<A extends { stale: boolean }> extends Ticket<A> {
  readonly #onDurable: () => void;
  readonly #onFailed: (error: unknown) => void;

  constructor(host: TicketHost<A>, actor: A, onDurable: () => void, onFailed: (error: unknown) => void) {
    super(host, actor);
    this.#onDurable = onDurable;
    this.#onFailed = onFailed;
  }

  protected onDurable(): void {
    this.#onDurable();
  }

  protected onFailed(error: unknown): void {
    this.#onFailed(error);
  }
}
