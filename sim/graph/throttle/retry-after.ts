/**
 * How `Retry-After` is written. Graph sends it sometimes as integral seconds (`10`) and sometimes
 * with a fraction (`2.128`, throttling page); a client that parses it with `parseInt` or as an
 * HTTP-date only would work against one and not the other. `integral` (default): whole seconds,
 * rounded up; `fractional`: seconds with three decimals (never `.000`); `mixed`: the two in turn,
 * starting with fractional, so one throttled run sees both.
 */
export type RetryAfterStyle = 'integral' | 'fractional' | 'mixed';

export const RETRY_AFTER_STYLES: readonly RetryAfterStyle[] = ['integral', 'fractional', 'mixed'];

export class RetryAfterFormat {
  style: RetryAfterStyle;
  #issued = 0;

  constructor(style: RetryAfterStyle = 'integral') {
    this.style = style;
  }

  /** The header value for a wait of `seconds` (exact, may be fractional; at least 1 ms). */
  format(seconds: number): string {
    const n = this.#issued;
    this.#issued += 1;
    const exact = Math.max(0.001, seconds);
    const fractional = this.style === 'fractional' || (this.style === 'mixed' && n % 2 === 0);
    if (!fractional) return String(Math.max(1, Math.ceil(exact - 1e-9)));
    const millis = Math.round(exact * 1000);
    // A whole number of seconds still carries a fraction, as Graph's own fractional values do.
    const value = millis % 1000 === 0 ? millis + 1 + (n % 997) : millis;
    return (value / 1000).toFixed(3);
  }
}
