import type { MeetingOccurrence } from './values.js';

/**
 * The version rules of the meeting model (schemas/model.ts) as one pure function, for every
 * consumer of calendar.meetings.v1 that keeps a mailbox's meetings in its state: the highest
 * version wins, a REMOVE leaves a tombstone (so an older record replayed later cannot bring the
 * meeting back), and a series master's REMOVE retracts the series' occurrences at or below it.
 */
export interface LedgerEntry {
  readonly id: string;
  readonly v: number;
  readonly master: string | null;
}

export interface Tombstone {
  readonly id: string;
  readonly v: number;
  /** Dropped after this time (UTC ms). */
  readonly until: number;
}

export interface Ledger<E extends LedgerEntry> {
  readonly entries: readonly E[];
  readonly tombs: readonly Tombstone[];
  /** Removed series masters. */
  readonly series: readonly Tombstone[];
}

/** How long a tombstone outlives the later of its meeting's end and its arrival: past any replay inside topic retention. */
export const TOMBSTONE_MS = 40 * 24 * 60 * 60 * 1000;

/**
 * Applies a record: null when it is stale (at or below a known version, tombstone or series
 * removal). An UPSERT replaces the entry with `make(previous)`; a REMOVE turns the entry, and for a
 * series master every occurrence at or below its version, into `retract(entry)` (null drops it).
 */
export function applyToLedger<L extends Ledger<E>, E extends LedgerEntry>(
  ledger: L,
  m: MeetingOccurrence,
  now: number,
  make: (previous: E | undefined) => E,
  retract: (entry: E) => E | null,
): L | null {
  const tombs = ledger.tombs.filter((x) => x.until > now);
  const series = ledger.series.filter((x) => x.until > now);
  const known = ledger.entries.find((e) => e.id === m.meetingId);
  const tomb = tombs.find((x) => x.id === m.meetingId);
  const seriesTomb = m.seriesMasterId === null ? undefined : series.find((x) => x.id === m.seriesMasterId);
  if ((known !== undefined && known.v >= m.version) || (tomb !== undefined && tomb.v >= m.version) || (seriesTomb !== undefined && seriesTomb.v >= m.version)) return null;
  if (m.op === 'UPSERT') return { ...ledger, tombs, series, entries: [...ledger.entries.filter((e) => e.id !== m.meetingId), make(known)] };
  const entries: E[] = [];
  for (const e of ledger.entries) {
    const hit = e.id === m.meetingId || (m.seriesMasterId === null && e.master === m.meetingId && e.v <= m.version);
    const next = hit ? retract(e) : e;
    if (next !== null) entries.push(next);
  }
  const stone = { id: m.meetingId, v: m.version, until: Math.max(now, m.end) + TOMBSTONE_MS };
  return {
    ...ledger,
    entries,
    tombs: [...tombs.filter((x) => x.id !== m.meetingId), stone],
    series: m.seriesMasterId === null ? [...series.filter((x) => x.id !== m.meetingId), stone] : series,
  };
}

/**
 * Tombstones for entries a consumer drops from its state (ended, out of the window): an older
 * version of them replayed later must not come back.
 */
export function retire(tombs: readonly Tombstone[], dropped: readonly LedgerEntry[], now: number): Tombstone[] {
  if (dropped.length === 0) return [...tombs];
  const ids = new Set(dropped.map((e) => e.id));
  return [...tombs.filter((x) => !ids.has(x.id)), ...dropped.map((e) => ({ id: e.id, v: e.v, until: now + TOMBSTONE_MS }))];
}
