/**
 * UTC offsets of an IANA zone, answered from a per-year table of transitions that is built once
 * from Intl (the engine's tz database) and then looked up without Intl. Intl costs about 2 µs a
 * call; the simulator converts millions of occurrence times, so each zone-year is sampled once.
 *
 * Building a year: the offset is read every 7 days across the UTC year; where two samples differ
 * the transition is found by bisection to the second, then the rest of that interval is searched
 * again (so A->B->C within one week is found). Assumption: no zone changes its offset and changes
 * it back within 7 days (true of the tz database for the years calendars use).
 */
import { MS_PER_DAY, civilFromDays, daysFromCivil, isLeapYear } from './civil.js';

const SAMPLE_STEP_MS = 7 * MS_PER_DAY;
const OFFSET_TEXT = /GMT(?:([+-])(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?)?$/;

interface YearTable {
  /** UTC ms at which offsets[i] starts to apply; at[0] is the start of the UTC year. */
  at: number[];
  offsets: number[];
}

export class ZoneRules {
  readonly iana: string;
  readonly #format: Intl.DateTimeFormat;
  readonly #years = new Map<number, YearTable>();
  #last: { startMs: number; endMs: number; table: YearTable } | undefined;

  constructor(iana: string) {
    this.iana = iana;
    this.#format = new Intl.DateTimeFormat('en-US', { timeZone: iana, timeZoneName: 'longOffset' });
  }

  /** Offset (ms, east positive) of the zone at a UTC instant. */
  offsetAt(utcMs: number): number {
    let last = this.#last;
    if (last === undefined || utcMs < last.startMs || utcMs >= last.endMs) {
      const year = civilFromDays(Math.floor(utcMs / MS_PER_DAY)).year;
      const startMs = daysFromCivil(year, 1, 1) * MS_PER_DAY;
      const endMs = startMs + (isLeapYear(year) ? 366 : 365) * MS_PER_DAY;
      let table = this.#years.get(year);
      if (table === undefined) {
        table = this.#buildYear(startMs, endMs);
        this.#years.set(year, table);
      }
      last = { startMs, endMs, table };
      this.#last = last;
    }
    const { at, offsets } = last.table;
    let i = at.length - 1;
    while (i > 0 && (at[i] as number) > utcMs) i--;
    return offsets[i] as number;
  }

  /** Wall time (local ms) at a UTC instant. */
  utcToLocal(utcMs: number): number {
    return utcMs + this.offsetAt(utcMs);
  }

  /**
   * UTC instant of a wall time. A wall time skipped by a forward transition (spring-forward gap)
   * is moved forward by the gap, as Exchange does (02:30 on the day clocks jump 02:00->03:00 is
   * 03:30); a wall time that occurs twice (fall-back) resolves to the first, earlier instant.
   */
  localToUtc(localMs: number): number {
    const before = this.offsetAt(localMs - MS_PER_DAY);
    const after = this.offsetAt(localMs + MS_PER_DAY);
    if (before === after) {
      const utc = localMs - before;
      if (this.offsetAt(utc) === before) return utc;
      return this.#localToUtcSlow(localMs);
    }
    const early = localMs - before;
    const late = localMs - after;
    const earlyValid = this.offsetAt(early) === before;
    const lateValid = this.offsetAt(late) === after;
    if (earlyValid && lateValid) return Math.min(early, late);
    if (earlyValid) return early;
    if (lateValid) return late;
    // Gap: interpret with the offset in force before the transition, i.e. shift forward.
    return early;
  }

  /** Rare case: two transitions within two days around the wall time. Scan candidates. */
  #localToUtcSlow(localMs: number): number {
    const candidates = new Set<number>();
    for (let h = -36; h <= 36; h += 1) candidates.add(this.offsetAt(localMs + h * 3_600_000));
    const valid = [...candidates].map((o) => localMs - o).filter((u) => u + this.offsetAt(u) === localMs);
    if (valid.length > 0) return Math.min(...valid);
    return localMs - this.offsetAt(localMs - MS_PER_DAY);
  }

  #readOffset(utcMs: number): number {
    const text = this.#format.format(utcMs);
    const m = OFFSET_TEXT.exec(text);
    if (m === null || m[1] === undefined) return 0;
    const sign = m[1] === '-' ? -1 : 1;
    const ms = Number(m[2]) * 3_600_000 + Number(m[3] ?? 0) * 60_000 + Number(m[4] ?? 0) * 1000;
    return sign * ms;
  }

  #buildYear(startMs: number, endMs: number): YearTable {
    const at = [startMs];
    const offsets = [this.#readOffset(startMs)];
    let prevMs = startMs;
    let prevOffset = offsets[0] as number;
    for (let t = Math.min(startMs + SAMPLE_STEP_MS, endMs - 1000); ; t = Math.min(t + SAMPLE_STEP_MS, endMs - 1000)) {
      const offset = this.#readOffset(t);
      if (offset !== prevOffset) this.#findTransitions(prevMs, prevOffset, t, offset, at, offsets);
      prevMs = t;
      prevOffset = offset;
      if (t >= endMs - 1000) break;
    }
    return { at, offsets };
  }

  /** Offsets differ at lo and hi: find the first change after lo, record it, continue to hi. */
  #findTransitions(lo: number, loOffset: number, hi: number, hiOffset: number, at: number[], offsets: number[]): void {
    let a = lo;
    let b = hi;
    while (b - a > 1000) {
      const mid = a + Math.floor((b - a) / 2000) * 1000;
      if (this.#readOffset(mid) === loOffset) a = mid;
      else b = mid;
    }
    const newOffset = this.#readOffset(b);
    at.push(b);
    offsets.push(newOffset);
    if (newOffset !== hiOffset && b < hi) this.#findTransitions(b, newOffset, hi, hiOffset, at, offsets);
  }
}
