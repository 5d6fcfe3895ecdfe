import type { InputRecord, Processor, ProcessorContext, TimerFired } from '../../runtime/index.js';
import { applyToLedger, type MeetingOccurrence } from '../../schemas/index.js';
import { EMPTY_LIST_STATE, listItem, nextSweep, spilledDayIds, spillListState, syncDays, unspillListState, type ListEntry, type ListState } from './days.js';
import { MaterializeInputError } from './errors.js';

export const USER_MEETINGS_VIEW = 'user_meetings';
/** A day's meetings are stored packed (common/packed.ts); tenantId, mailboxId and day stay open. */
const DAY_PACKED = { packed: ['meetings'] } as const;
const SWEEP_TIMER = 'window-sweep';

/** Reads day documents of `user_meetings` by `_id` as stored (packed fields unpacked); missing ones are left out. */
export interface DayReader {
  read(ids: readonly string[]): Promise<Record<string, unknown>[]>;
}

/**
 * processors/materialize, keyed tenantId/mailboxId: calendar.meetings.v1 → the user's meeting list
 * (`user_meetings`, one document per user per UTC day, version-guarded). The window sweeper is one
 * durable timer per mailbox at the next time a meeting leaves [now − 7 d, now + 31 d] or slides
 * into it; no cron, no TTL index.
 *
 * The state stored keeps no item that a day document holds (`spillListState`: each item is
 * written once per change, in its day, not again in the state); a key loaded from the store reads
 * its days back through `days` before its first record or timer (`unspillListState`).
 */
export function createMaterializeProcessor(options: { days: DayReader }): Processor<MeetingOccurrence, ListState> {
  function step(ctx: ProcessorContext<ListState>, tenantId: string, mailboxId: string, now: number, state: ListState, touched: string | null): void {
    const { state: next, writes } = syncDays(state, tenantId, mailboxId, now, touched);
    for (const write of writes) {
      if (write.doc === null) ctx.views.remove(USER_MEETINGS_VIEW, write.id, next.seq);
      else ctx.views.upsert(USER_MEETINGS_VIEW, write.id, next.seq, write.doc, DAY_PACKED);
    }
    const sweep = nextSweep(next, now);
    if (sweep === null) ctx.cancel(SWEEP_TIMER);
    else ctx.schedule(sweep, { tenantId, mailboxId }, SWEEP_TIMER);
    ctx.state.set(next);
  }
  function apply(m: MeetingOccurrence, ctx: ProcessorContext<ListState>, state: ListState): void {
    const now = ctx.clock.now();
    const applied = applyToLedger<ListState, ListEntry>(
      state,
      m,
      now,
      (known) => ({ id: m.meetingId, v: m.version, master: m.seriesMasterId, start: m.start, end: m.end, ok: !m.isCancelled && m.responseStatus !== 'DECLINED', m: listItem(m), days: known?.days ?? [] }),
      (e) => ({ ...e, ok: false }),
    );
    if (applied === null) return ctx.metrics.increment('materialize_stale_total');
    step(ctx, m.tenantId, m.mailboxId, now, applied, m.meetingId);
  }
  /** The key's state with its items: as kept in memory, or read back from its days after a load. */
  function loaded(ctx: ProcessorContext<ListState>, tenantId: string, mailboxId: string): ListState | Promise<ListState> {
    const stored = ctx.state.get() ?? EMPTY_LIST_STATE;
    if (stored.spilled !== true) return stored;
    return options.days.read(spilledDayIds(stored, tenantId, mailboxId)).then((docs) => {
      const { state, missing } = unspillListState(stored, docs);
      if (missing > 0) ctx.metrics.increment('materialize_restore_missing_total', {}, missing);
      return state;
    });
  }
  return {
    name: 'materialize',
    persist: spillListState,
    process(record: InputRecord<MeetingOccurrence>, ctx: ProcessorContext<ListState>): Promise<void> | void {
      const m = record.value;
      if (record.key !== `${m.tenantId}/${m.mailboxId}`) throw new MaterializeInputError('A meeting arrived under another record key than tenantId/mailboxId; dead-lettered.');
      const state = loaded(ctx, m.tenantId, m.mailboxId);
      if (!(state instanceof Promise)) return apply(m, ctx, state);
      return state.then((s) => apply(m, ctx, s));
    },
    onTimer(timer: TimerFired, ctx: ProcessorContext<ListState>): Promise<void> | void {
      const { tenantId, mailboxId } = timer.payload as { tenantId: string; mailboxId: string };
      const state = loaded(ctx, tenantId, mailboxId);
      if (!(state instanceof Promise)) return step(ctx, tenantId, mailboxId, Math.max(ctx.clock.now(), timer.dueAt), state, null);
      return state.then((s) => step(ctx, tenantId, mailboxId, Math.max(ctx.clock.now(), timer.dueAt), s, null));
    },
  };
}
