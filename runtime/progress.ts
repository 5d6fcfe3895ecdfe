/**
 * Offsets of one partition's dispatched records, in order, and which of them are complete
 * (effects durable, or dead-lettered). The committable offset is the lowest incomplete one: a
 * commit never passes a record whose effects might still be lost.
 */
export class PartitionProgress {
  #offsets: number[] = [];
  /** 0 pending, 1 complete, 2 abandoned (never committed past). */
  #done: (0 | 1 | 2)[] = [];
  #open = 0;
  #abandoned = 0;
  #head = 0;
  #index = new Map<number, number>();
  /** Next offset to commit (= 1 + last offset of the complete prefix), or null before any record. */
  #safe: number | null;
  #waiters: (() => void)[] = [];

  constructor(startOffset: number | null = null) {
    this.#safe = startOffset;
  }

  add(offset: number): void {
    if (this.#offsets.length > 0 && offset <= (this.#offsets[this.#offsets.length - 1] ?? -1)) return;
    if (this.#safe === null) this.#safe = offset;
    this.#index.set(offset, this.#offsets.length);
    this.#offsets.push(offset);
    this.#done.push(0);
    this.#open += 1;
  }

  /** The record was dropped without its effects (revocation, shutdown): the safe offset stops before it. */
  abandon(offset: number): void {
    const at = this.#index.get(offset);
    if (at === undefined || this.#done[at] !== 0) return;
    this.#done[at] = 2;
    this.#open -= 1;
    this.#abandoned += 1;
    this.#wake();
  }

  complete(offset: number): void {
    const at = this.#index.get(offset);
    if (at === undefined || at < this.#head || this.#done[at] !== 0) return;
    this.#done[at] = 1;
    this.#open -= 1;
    while (this.#head < this.#offsets.length && this.#done[this.#head] === 1) {
      const completed = this.#offsets[this.#head] ?? 0;
      this.#index.delete(completed);
      this.#safe = completed + 1;
      this.#head += 1;
    }
    if (this.#head > 1_024 && this.#head * 2 > this.#offsets.length) {
      this.#offsets = this.#offsets.slice(this.#head);
      this.#done = this.#done.slice(this.#head);
      this.#head = 0;
      this.#index = new Map(this.#offsets.map((o, i) => [o, i]));
    }
    this.#wake();
  }

  #wake(): void {
    if (this.#open !== 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** The offset to commit: every record below it is complete. */
  get safeOffset(): number | null {
    return this.#safe;
  }

  /** Records given up (the safe offset never passes the first of them). */
  get abandoned(): number {
    return this.#abandoned;
  }

  /** Records neither complete nor abandoned. */
  get pending(): number {
    return this.#open;
  }

  /** Resolves when every added record is complete or abandoned. */
  whenIdle(): Promise<void> {
    if (this.#open === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
