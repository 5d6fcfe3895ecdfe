import type { InputRecord, Processor, ProcessorContext, TimerFired } from '../../runtime/index.js';
import { applyToLedger, type MeetingOccurrence } from '../../schemas/index.js';
import { EMPTY_LIST_STATE, listItem, nextSweep, syncDays, type ListEntry, type ListState } from './days.js';
import { MaterializeInputError } from './errors.js';

export const USER_MEETINGS_VIEW = 'user_meetings';
/** A day's meetings are stored packed (common/packed.ts); tenantId, mailboxId and day stay open. */
const DAY_PACKED = { packed: ['meetings'] } as const;
const SWEEP_TIMER = 'window-sweep';

/**
 * processors/materialize, keyed tenantId/mailboxId: calendar.meetings.v1 → the user's meeting list
 * (`user_meetings`, one document per user per UTC day, version-guarded). The window sweeper is one
 * durable timer per mailbox at the next time a meeting leaves [now − 7 d, now + 31 d] or slides
 * into it; no cron, no TTL index.
 */
export function createMaterializeProcessor(): Processor<MeetingOccurrence, ListState> {
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
  return {
    name: 'materialize',
    process(record: InputRecord<MeetingOccurrence>, ctx: ProcessorContext<ListState>): void {
      const m = record.value;
      if (record.key !== `${m.tenantId}/${m.mailboxId}`) throw new MaterializeInputError('A meeting arrived under another record key than tenantId/mailboxId; dead-lettered.');
      const now = ctx.clock.now();
      const applied = applyToLedger<ListState, ListEntry>(
        ctx.state.get() ?? EMPTY_LIST_STATE,
        m,
        now,
        (known) => ({ id: m.meetingId, v: m.version, master: m.seriesMasterId, start: m.start, end: m.end, ok: !m.isCancelled && m.responseStatus !== 'DECLINED', m: listItem(m), days: known?.days ?? [] }),
        (e) => ({ ...e, ok: false }),
      );
      if (applied === null) return ctx.metrics.increment('materialize_stale_total');
      step(ctx, m.tenantId, m.mailboxId, now, applied, m.meetingId);
    },
    onTimer(timer: TimerFired, ctx: ProcessorContext<ListState>): void {
      const { tenantId, mailboxId } = timer.payload as { tenantId: string; mailboxId: string };
      step(ctx, tenantId, mailboxId, Math.max(ctx.clock.now(), timer.dueAt), ctx.state.get() ?? EMPTY_LIST_STATE, null);
    },
  };
}
