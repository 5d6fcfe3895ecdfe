/**
 * A partition's timer index in memory: key → earliest due time (what the index document says, or
 * ahead of it), with a binary min-heap of due times so that a tick looks only at what is due instead
 * of scanning every key with a timer. Heap entries are checked lazily against the index (a changed
 * or removed entry is dropped when it surfaces); the heap is rebuilt when stale entries pile up.
 */
export class DueTimers {
  #index = new Map<string, number>();
  #heapDue: number[] = [];
  #heapKey: string[] = [];
  /** Keys with a timer item queued or running (not fired again before it ran). */
  readonly #pending = new Set<string>();
  loaded = false;

  get size(): number {
    return this.#index.size;
  }

  get(key: string): number | undefined {
    return this.#index.get(key);
  }

  set(key: string, due: number): void {
    if (this.#index.get(key) === due) return;
    this.#index.set(key, due);
    this.#push(due, key);
  }

  delete(key: string): void {
    this.#index.delete(key);
  }

  /** Replaces the whole index (a partition's index loaded from the store). */
  load(index: Map<string, number>): void {
    this.#index = index;
    this.#rebuild();
    this.loaded = true;
  }

  entries(): IterableIterator<[string, number]> {
    return this.#index.entries();
  }

  /** The earliest due time of any key, if any. */
  nextDue(): number | null {
    this.#dropStale();
    return this.#heapDue.length === 0 ? null : (this.#heapDue[0] as number);
  }

  /** Keys whose earliest timer is due at `now` and that have no timer item yet; marks them pending. */
  takeDue(now: number): string[] {
    const keys: string[] = [];
    while (this.#heapDue.length > 0 && (this.#heapDue[0] as number) <= now) {
      const [due, key] = this.#pop();
      if (this.#index.get(key) !== due || this.#pending.has(key)) continue;
      this.#pending.add(key);
      keys.push(key);
    }
    return keys;
  }

  /** A timer item of the key started: the key may be taken again once its index entry is due. */
  started(key: string): void {
    this.#pending.delete(key);
  }

  /** A timer item ended or was given up: the key's current entry goes back into the heap. */
  release(key: string): void {
    this.#pending.delete(key);
    const due = this.#index.get(key);
    if (due !== undefined) this.#push(due, key);
  }

  #dropStale(): void {
    while (this.#heapDue.length > 0 && this.#index.get(this.#heapKey[0] as string) !== this.#heapDue[0]) this.#pop();
  }

  #rebuild(): void {
    const entries = [...this.#index].sort(([, a], [, b]) => a - b);
    this.#heapKey = entries.map(([key]) => key);
    this.#heapDue = entries.map(([, due]) => due);
  }

  #push(due: number, key: string): void {
    if (this.#heapDue.length > 2 * this.#index.size + 1_024) {
      this.#rebuild();
      return;
    }
    const dues = this.#heapDue;
    const keys = this.#heapKey;
    let i = dues.length;
    dues.push(due);
    keys.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((dues[parent] as number) <= due) break;
      dues[i] = dues[parent] as number;
      keys[i] = keys[parent] as string;
      i = parent;
    }
    dues[i] = due;
    keys[i] = key;
  }

  #pop(): [number, string] {
    const dues = this.#heapDue;
    const keys = this.#heapKey;
    const top: [number, string] = [dues[0] as number, keys[0] as string];
    const lastDue = dues.pop() as number;
    const lastKey = keys.pop() as string;
    const n = dues.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && (dues[right] as number) < (dues[left] as number) ? right : left;
      if ((dues[child] as number) >= lastDue) break;
      dues[i] = dues[child] as number;
      keys[i] = keys[child] as string;
      i = child;
    }
    dues[i] = lastDue;
    keys[i] = lastKey;
    return top;
  }
}
