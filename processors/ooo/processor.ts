import { withSeqHeadroom } from '../../common/index.js';
import type { Keyring } from '../../kms/index.js';
import { unsealRawSettings } from '../../records/index.js';
import type { InputRecord, Processor, ProcessorContext, TimerFired } from '../../runtime/index.js';
import type { RawMailboxSettings } from '../../schemas/index.js';
import { OooInputError } from './errors.js';
import { evaluate, nextSwitch, type PresenceState } from './presence.js';
import { readAutomaticReplies, type AutomaticReplies } from './settings.js';

export const PRESENCE_VIEW = 'presence';
const TIMER_ID = 'ooo-switch';

/**
 * processors/ooo, keyed tenantId/mailboxId (the user): sealed mailbox settings → automatic-replies
 * state → presence.v1 (keyed tenantId/userId) and `presence/{_id: tenantId/userId}`, only when
 * presence changes. A scheduled window switches by one durable timer at its start, then its end;
 * a newer setting replaces the timer (edits move it, disabling drops it). Settings older than the
 * last applied fetch are ignored.
 */
export function createOooProcessor(options: { keyring: Keyring }): Processor<RawMailboxSettings, PresenceState> {
  function apply(ctx: ProcessorContext<PresenceState>, tenantId: string, userId: string, replies: AutomaticReplies, fetchedAt: number, at: number): void {
    const { state, change } = evaluate(ctx.state.get(), replies, fetchedAt, at, { tenantId, userId });
    if (change !== null) {
      ctx.emit('presence.v1', `${tenantId}/${userId}`, change);
      ctx.views.upsert(PRESENCE_VIEW, `${tenantId}/${userId}`, change.version, { tenantId, userId, outOfOffice: change.outOfOffice, since: change.since, until: change.until, updatedAt: change.updatedAt });
    }
    const next = nextSwitch(replies, at);
    if (next === null) ctx.cancel(TIMER_ID);
    else ctx.schedule(next, { tenantId, userId }, TIMER_ID);
    ctx.state.set(state);
  }
  return {
    name: 'ooo',
    // A successor after a crash numbers its presence changes above its predecessor's: the view's
    // guarded upsert and presence.v1 folds keep the highest version (common/sequence.ts).
    persist: withSeqHeadroom,
    async process(record: InputRecord<RawMailboxSettings>, ctx: ProcessorContext<PresenceState>): Promise<void> {
      const raw = record.value;
      if (record.key !== `${raw.tenantId}/${raw.mailboxId}`) throw new OooInputError('Mailbox settings arrived under another record key than tenantId/mailboxId; dead-lettered.');
      const previous = ctx.state.get();
      if (previous !== undefined && raw.fetchedAt <= previous.fetchedAt) return ctx.metrics.increment('ooo_stale_total');
      const replies = readAutomaticReplies(await unsealRawSettings(options.keyring, raw));
      // Time never goes back for a mailbox: a setting fetched before a switch that already fired
      // applies from that switch on.
      apply(ctx, raw.tenantId, raw.mailboxId, replies, raw.fetchedAt, Math.max(raw.fetchedAt, previous?.at ?? raw.fetchedAt));
    },
    onTimer(timer: TimerFired, ctx: ProcessorContext<PresenceState>): void {
      const state = ctx.state.get();
      const { tenantId, userId } = timer.payload as { tenantId: string; userId: string };
      if (state !== undefined) apply(ctx, tenantId, userId, state.replies, state.fetchedAt, Math.max(timer.dueAt, state.at));
    },
  };
}
