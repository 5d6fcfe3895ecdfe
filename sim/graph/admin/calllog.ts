export interface CallRecord {
  at: number;
  cloud: string;
  method: string;
  /** Path and query as received (after the host). */
  url: string;
  status: number;
  requestId: string;
  appId?: string;
  tenantId?: string;
  mailboxId?: string;
  /** Set for the inner requests of a $batch. */
  batchRequestId?: string;
}

/** Ring buffer of the calls the simulator answered (Graph and identity). */
export class CallLog {
  readonly #entries: CallRecord[] = [];
  constructor(private readonly capacity = 10_000) {}

  add(record: CallRecord): void {
    this.#entries.push(record);
    if (this.#entries.length > this.capacity) this.#entries.splice(0, this.#entries.length - this.capacity);
  }

  list(filter: { since?: number; pathIncludes?: string } = {}): CallRecord[] {
    return this.#entries.filter((e) => (filter.since === undefined || e.at >= filter.since) && (filter.pathIncludes === undefined || e.url.includes(filter.pathIncludes)));
  }

  clear(): void {
    this.#entries.length = 0;
  }
}
