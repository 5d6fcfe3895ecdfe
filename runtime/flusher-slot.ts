import { WorkAbandonedError } from './errors.js';
import type { EffectTicket, Flusher, FlushItem } from './flusher.js';

/**
 * The runtime's effect writer before and after it started: the flusher is attached at start (it
 * needs the connected producer); before that, effects are refused as abandoned.
 */
export class FlusherSlot {
  #flusher: Flusher | null = null;

  attach(flusher: Flusher): void {
    this.#flusher = flusher;
  }

  submit(item: FlushItem): Promise<void> {
    if (this.#flusher === null) return Promise.reject(new WorkAbandonedError('The runtime is not started.'));
    return this.#flusher.submit(item);
  }

  enqueue(item: FlushItem, ticket: EffectTicket): void {
    if (this.#flusher === null) ticket.failed(new WorkAbandonedError('The runtime is not started.'));
    else this.#flusher.enqueue(item, ticket);
  }

  barrier(through?: number): Promise<void> {
    return this.#flusher?.barrier(through) ?? Promise.resolve();
  }

  produced(through?: number): Promise<void> {
    return this.#flusher?.produced(through) ?? Promise.resolve();
  }

  get submitted(): number {
    return this.#flusher?.submitted ?? 0;
  }

  async close(): Promise<void> {
    await this.#flusher?.close();
  }
}
