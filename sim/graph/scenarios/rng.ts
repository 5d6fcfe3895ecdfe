/**
 * A small seeded PRNG (sfc32, seeded through splitmix32) so scenarios are reproducible byte for
 * byte from one number. Sub-streams are derived with `derive(...)`, so a tenant's directory does
 * not change when, say, the number of meetings per mailbox does.
 */

/** splitmix32 step: a good 32-bit mixer to spread seeds. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** Combines a seed with a path of small integers into a new 32-bit seed. */
export function deriveSeed(seed: number, ...path: number[]): number {
  let h = mix32(seed >>> 0 ^ 0x5bd1e995);
  for (const p of path) h = mix32((h ^ Math.imul(p + 1, 0x27d4eb2d)) >>> 0);
  return h;
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    this.#a = mix32(seed);
    this.#b = mix32(this.#a ^ 0x1234567);
    this.#c = mix32(this.#b ^ 0x89abcdef);
    this.#d = 1;
    for (let i = 0; i < 12; i += 1) this.u32();
  }

  /** Next unsigned 32-bit integer (sfc32). */
  u32(): number {
    const a = this.#a, b = this.#b, c = this.#c, d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    this.#c = ((c << 21) | (c >>> 11)) + t | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Picks by relative weights; `weights` and `items` have the same length. */
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < items.length; i += 1) {
      r -= weights[i] ?? 0;
      if (r < 0) return items[i] as T;
    }
    return items[items.length - 1] as T;
  }

  /** `n` lowercase hex digits. */
  hex(n: number): string {
    let s = '';
    while (s.length < n) s += HEX[this.u32() & 0xff] as string;
    return s.length === n ? s : s.slice(0, n);
  }

  /** `n` decimal digits, first one non-zero. */
  digits(n: number): string {
    let s = String(this.int(1, 9));
    while (s.length < n) s += String(this.u32() % 10);
    return s;
  }

  /** `n` characters from [A-Za-z0-9]. */
  alnum(n: number): string {
    let s = '';
    for (let i = 0; i < n; i += 1) s += ALNUM[this.u32() % 62] as string;
    return s;
  }

  /** `n` lowercase letters. */
  lower(n: number): string {
    let s = '';
    for (let i = 0; i < n; i += 1) s += ALNUM[36 + (this.u32() % 26)] as string;
    return s;
  }

  /** A version-4-shaped GUID, lowercase, deterministic from the stream. */
  guid(): string {
    const a = this.u32(), b = this.u32(), c = this.u32(), d = this.u32();
    const h = (x: number, shift: number): string => HEX[(x >>> shift) & 0xff] as string;
    return (
      h(a, 24) + h(a, 16) + h(a, 8) + h(a, 0) + '-' +
      h(b, 24) + h(b, 16) + '-' +
      HEX[0x40 | ((b >>> 8) & 0x0f)] + h(b, 0) + '-' +
      HEX[0x80 | ((c >>> 24) & 0x3f)] + h(c, 16) + '-' +
      h(c, 8) + h(c, 0) + h(d, 24) + h(d, 16) + h(d, 8) + h(d, 0)
    );
  }
}

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
