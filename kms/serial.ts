/**
 * Runs work one at a time per key inside this process (e.g. a tenant's key creation and
 * destruction never interleave); different keys run concurrently. A failure does not block the
 * next piece of work for the same key.
 */
export class KeyedSerializer {
  readonly #pending = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#pending.get(key) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.#pending.set(key, settled);
    try {
      return await next;
    } finally {
      if (this.#pending.get(key) === settled) this.#pending.delete(key);
    }
  }
}
