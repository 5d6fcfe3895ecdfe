/**
 * Series and their exceptions as views: any item by id (single, master, exception, computed
 * occurrence), window expansion, cancelled occurrences, and the checks of an occurrence turned
 * into an exception.
 */
import { SimGraphError } from '../model.js';
import { compileSeries, expandCompiled, occurrenceAtCompiled, seriesBounds, type CompiledSeries, type ExpandedOccurrence } from '../recurrence/index.js';
import { StoredEvent, viewOf, type EventView, type StoredSeries } from './event.js';
import { seriesOf } from './event-input.js';
import { iCalUId, occurrenceId, parseOccurrenceId } from './ids.js';
import type { Mailbox } from './mailbox.js';

export const itemNotFound = () => new SimGraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');

function occurrenceDate(local: string): string {
  return local.slice(0, 10);
}

export function overlaps(s: number, e: number, ws: number, we: number): boolean {
  if (s === e) return s >= ws && s < we;
  return s < we && e > ws;
}

/** The master's compiled series (compiled when stored; rebuilt here only if a copy lost it). */
export function compiledOf(master: StoredEvent): CompiledSeries {
  return (master.series ?? storeSeries(master)).compiled;
}

export function storeSeries(master: StoredEvent): StoredSeries {
  const compiled = compileSeries(seriesOf(master));
  const bounds = seriesBounds(compiled);
  master.series = { compiled, firstStartMs: bounds.firstStartMs, lastEndMs: bounds.lastEndMs };
  return master.series;
}

/** Any item by id: single, master, exception, or a computed occurrence. */
export function getView(mbx: Mailbox, id: string): EventView {
  const stored = mbx.events.get(id);
  if (stored !== undefined) return viewOf(stored);
  const occ = parseOccurrenceId(id);
  if (occ === undefined) throw itemNotFound();
  const master = mbx.events.get(occ.masterId);
  if (master?.recurrence === null || master === undefined) throw itemNotFound();
  const ex = master.exceptions?.get(occ.originalStartMs);
  if (ex !== undefined) {
    if (ex.cancelled) throw itemNotFound();
    return viewOf(ex.event);
  }
  const hit = occurrenceAtCompiled(compiledOf(master), occ.originalStartMs);
  if (hit === undefined) throw itemNotFound();
  return occurrenceView(master, hit.originalStartMs, hit.startMs, hit.endMs, hit.start.dateTime, hit.end.dateTime);
}

export function occurrenceView(master: StoredEvent, originalStartMs: number, startMs: number, endMs: number, startLocal: string, endLocal: string): EventView {
  return {
    event: master, type: 'occurrence', id: occurrenceId(master.id, originalStartMs), startMs, endMs,
    startLocal, endLocal, originalStartMs, seriesMasterId: master.id, iCalUId: iCalUId(master.iCalUId, occurrenceDate(startLocal)),
  };
}

/** Singles and series masters (what GET .../events lists). */
export function masters(mbx: Mailbox): StoredEvent[] {
  return [...mbx.events.values()];
}

/** Expanded view of [startMs, endMs): singles, occurrences and exceptions, sorted by start. */
export function expand(mbx: Mailbox, startMs: number, endMs: number): EventView[] {
  const out: EventView[] = [];
  for (const ev of mbx.events.values()) expandOne(ev, startMs, endMs, out);
  out.sort((a, b) => a.startMs - b.startMs || (a.id < b.id ? -1 : 1));
  return out;
}

export function expandOne(ev: StoredEvent, startMs: number, endMs: number, out: EventView[]): void {
  if (ev.recurrence === null) {
    if (overlaps(ev.startMs, ev.endMs, startMs, endMs)) out.push(viewOf(ev));
    return;
  }
  const series = ev.series ?? storeSeries(ev);
  // The span test keeps a calendarView over many mailboxes from expanding series that ended
  // before (or start after) the window.
  if (series.firstStartMs < endMs && series.lastEndMs >= startMs) {
    for (const occ of expandCompiled(series.compiled, startMs, endMs)) {
      if (ev.exceptions?.has(occ.originalStartMs) === true) continue;
      out.push(occurrenceView(ev, occ.originalStartMs, occ.startMs, occ.endMs, occ.start.dateTime, occ.end.dateTime));
    }
  }
  if (ev.exceptions !== undefined) {
    for (const ex of ev.exceptions.values()) {
      if (!ex.cancelled && overlaps(ex.event.startMs, ex.event.endMs, startMs, endMs)) out.push(viewOf(ex.event));
    }
  }
}

/** Cancelled occurrences of a master in the window (their ids), for delta's @removed entries. */
export function cancelledIn(ev: StoredEvent, startMs: number, endMs: number): string[] {
  if (ev.exceptions === undefined) return [];
  const ids: string[] = [];
  for (const [original, ex] of ev.exceptions) if (ex.cancelled && original < endMs && original >= startMs - 86_400_000 * 7) ids.push(occurrenceId(ev.id, original));
  return ids;
}

export function instances(mbx: Mailbox, masterId: string, startMs: number, endMs: number): EventView[] {
  const master = mbx.events.get(masterId);
  if (master === undefined) throw itemNotFound();
  const out: EventView[] = [];
  if (master.recurrence === null) return out;
  expandOne(master, startMs, endMs, out);
  out.sort((a, b) => a.startMs - b.startMs);
  return out;
}

export function cloneAsException(master: StoredEvent, view: EventView): StoredEvent {
  const ex = new StoredEvent(view.id, view.iCalUId);
  Object.assign(ex, master);
  ex.id = view.id;
  ex.iCalUId = view.iCalUId;
  ex.recurrence = null;
  ex.series = undefined;
  ex.exceptions = undefined;
  ex.seriesMasterId = master.id;
  ex.originalStartMs = view.originalStartMs ?? view.startMs;
  ex.startMs = view.startMs;
  ex.endMs = view.endMs;
  ex.startLocal = view.startLocal;
  ex.endLocal = view.endLocal;
  return ex;
}

/**
 * Occurrences are at least ~22 h apart while their UTC durations differ by at most a DST shift,
 * so when a narrow window around the occurrence already holds both of its neighbours they are
 * the same neighbours the ±400-day window finds; otherwise that window is expanded.
 */
function neighbours(compiled: CompiledSeries, originalStartMs: number): { prev: ExpandedOccurrence | undefined; next: ExpandedOccurrence | undefined } {
  const near = expandCompiled(compiled, originalStartMs - 16 * 86_400_000, originalStartMs + 16 * 86_400_000);
  const j = near.findIndex((o) => o.originalStartMs === originalStartMs);
  if (j > 0 && j < near.length - 1) return { prev: near[j - 1], next: near[j + 1] };
  const around = expandCompiled(compiled, originalStartMs - 400 * 86_400_000, originalStartMs + 400 * 86_400_000);
  const i = around.findIndex((o) => o.originalStartMs === originalStartMs);
  return { prev: around[i - 1], next: around[i + 1] };
}

export function checkCrossing(master: StoredEvent, ex: StoredEvent): void {
  const { prev, next } = neighbours(compiledOf(master), ex.originalStartMs);
  if ((prev !== undefined && ex.startMs <= prev.originalStartMs) || (next !== undefined && ex.startMs >= next.originalStartMs)) {
    throw new SimGraphError(400, 'ErrorOccurrenceCrossingBoundary', 'An occurrence cannot overlap or be moved past an adjacent occurrence of the series.');
  }
}
