import type { InputRecord, Processor, ProcessorContext, TimerFired } from '../../runtime/index.js';
import type { MeetingOccurrence } from '../../schemas/index.js';
import { applyMeeting, EMPTY_OBTP_STATE, nextChange, persistObtpState, reconcile, type ObtpState, type Timing } from './bookings.js';
import { ObtpInputError } from './errors.js';
import type { DeviceRegistry } from './registry.js';

const TIMER_ID = 'obtp-next';

/**
 * processors/obtp, keyed tenantId/mailboxId: a mailbox's meetings → its devices' bookings for the
 * next horizon, Join button show/expire by one durable timer per mailbox (the next change), events
 * on obtp.devices.v1 keyed by device (the device stage, device-view.ts, folds them into the
 * device-bookings view). Mailboxes without devices cost nothing (no state). Ciphertexts are passed through as
 * they are: obtp never decrypts.
 */
export function createObtpProcessor(options: { registry: DeviceRegistry; horizonMs: number }): Processor<MeetingOccurrence, ObtpState> {
  async function step(ctx: ProcessorContext<ObtpState>, tenantId: string, mailboxId: string, now: number, meeting: MeetingOccurrence | null): Promise<void> {
    const devices = await options.registry.devicesOf(tenantId, mailboxId);
    if (devices.length === 0 && ctx.state.get() === undefined) return;
    const t: Timing = { now, leadMs: await options.registry.leadMsOf(tenantId), horizonMs: options.horizonMs };
    let state = ctx.state.get() ?? EMPTY_OBTP_STATE;
    if (meeting !== null) {
      const applied = applyMeeting(state, meeting, now);
      if (applied === null) return ctx.metrics.increment('obtp_stale_total');
      state = applied;
    }
    const out = reconcile(state, devices, tenantId, mailboxId, t, meeting?.meetingId ?? null);
    for (const event of out.events) ctx.emit('obtp.devices.v1', event.key, event.value);
    const next = Math.min(...out.state.entries.map((b) => nextChange(b, t) ?? Number.POSITIVE_INFINITY));
    if (Number.isFinite(next)) ctx.schedule(next, { tenantId, mailboxId }, TIMER_ID);
    else ctx.cancel(TIMER_ID);
    ctx.state.set(out.state);
    ctx.metrics.increment('obtp_device_events_total', {}, out.events.length);
  }
  return {
    name: 'obtp',
    persist: persistObtpState,
    async process(record: InputRecord<MeetingOccurrence>, ctx: ProcessorContext<ObtpState>): Promise<void> {
      const m = record.value;
      if (record.key !== `${m.tenantId}/${m.mailboxId}`) throw new ObtpInputError('A meeting arrived under another record key than tenantId/mailboxId; dead-lettered.');
      await step(ctx, m.tenantId, m.mailboxId, ctx.clock.now(), m);
    },
    async onTimer(timer: TimerFired, ctx: ProcessorContext<ObtpState>): Promise<void> {
      const { tenantId, mailboxId } = timer.payload as { tenantId: string; mailboxId: string };
      await step(ctx, tenantId, mailboxId, Math.max(ctx.clock.now(), timer.dueAt), null);
    },
  };
}
