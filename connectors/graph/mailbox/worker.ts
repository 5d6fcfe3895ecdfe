import { createHash, randomBytes } from 'node:crypto';
import { HcError } from '../../../common/index.js';
import type { Keyring } from '../../../kms/index.js';
import { sealRawEvent, sealRawSettings } from '../../../records/index.js';
import type { ProcessorContext } from '../../../runtime/index.js';
import type { GraphNotification, RawCalendarRecord } from '../../../schemas/index.js';
import { namedWaitMs, secretContext, type GraphAccess, type GraphEvent } from '../../../graph/index.js';
import { clientStateHash, SUBSCRIPTIONS_VIEW } from '../webhook/index.js';
import {
  INITIAL_STATE,
  SUBSCRIPTION_LIFETIME_MS,
  renewAt,
  retryDelayMs,
  syncWindow,
  utcDay,
  windowScope,
  type KnownEvent,
  type MailboxState,
} from './state.js';

/** Resolves the Graph access (tenant credential or connected user) of a mailbox. */
export interface GraphResolver {
  graphFor(tenantId: string, mailboxId: string): Promise<GraphAccess>;
}

export interface MailboxActorOptions {
  /** Public HTTPS URL of the webhook (change and lifecycle notifications). */
  readonly notificationUrl: string;
  readonly settingsPollMs: number;
  /** Incremental delta round even without notifications (outages, lost notifications). */
  readonly reconcileMs: number;
  readonly deltaPageSize: number;
  /**
   * How long notified changes gather before they are re-read together (`$batch`, 20 events per
   * request); 0 fetches each at once with its own GET.
   */
  readonly fetchBatchMs?: number;
}

/** Beyond this many unfetched changes, the next delta round reads them instead. */
const MAX_PENDING = 1_000;

export interface MailboxActorDeps {
  readonly graph: GraphResolver;
  readonly keyring: Keyring;
  readonly options: MailboxActorOptions;
  readonly random?: () => number;
}

export const STATUS_VIEW = 'connector_mailboxes';
const AUTH_CODES = new Set(['HC_ERR_GRAPH_REAUTH_REQUIRED', 'HC_ERR_GRAPH_CONSENT_MISSING', 'HC_ERR_GRAPH_CREDENTIALS_INVALID']);
/**
 * Failures no retry fixes: the mailbox's sealed state (the tenant's credential, a connected user's
 * token cache, the tenant's keys) cannot be opened with this deployment's keys — sealed under
 * another master key, or the tenant's keys are gone or shredded. The mailbox is deactivated
 * (status FAILED with the reason) instead of retried; an administrator's ACTIVATE tries again.
 */
const SEALED_STATE_CODES = new Set(['HC_ERR_KMS_KEY_NOT_FOUND', 'HC_ERR_KMS_KEY_DESTROYED', 'HC_ERR_KMS_DECRYPT_FAILED', 'HC_ERR_KMS_KEY_CORRUPT', 'HC_ERR_KMS_CIPHERTEXT_MALFORMED']);
const TIMERS = ['renew', 'settings', 'reconcile', 'retry', 'fetch'] as const;

type Ctx = ProcessorContext<MailboxState>;

/**
 * What a mailbox actor does, one step at a time; every step reads and writes the key state through
 * the context, talks to Graph only through the access module, and emits sealed raw records.
 */
export class MailboxWork {
  readonly #d: MailboxActorDeps;
  readonly #random: () => number;

  constructor(deps: MailboxActorDeps) {
    this.#d = deps;
    this.#random = deps.random ?? Math.random;
  }

  #ids(ctx: Ctx): { tenantId: string; mailboxId: string } {
    const slash = ctx.key.indexOf('/');
    return { tenantId: ctx.key.slice(0, slash), mailboxId: ctx.key.slice(slash + 1) };
  }

  state(ctx: Ctx): MailboxState {
    return ctx.state.get() ?? INITIAL_STATE;
  }

  /** Sets the state and mirrors the lifecycle into the status view (what the admin page shows). */
  save(ctx: Ctx, next: MailboxState): void {
    const s = { ...next, version: next.version + 1 };
    ctx.state.set(s);
    const { tenantId, mailboxId } = this.#ids(ctx);
    ctx.views.upsert(STATUS_VIEW, ctx.key, s.version, {
      tenantId, mailboxId, status: s.status, reason: s.reason ?? null, message: s.message ?? null,
      nextRetryAt: s.nextRetryAt ?? null, subscriptionExpiresAt: s.subscription?.expiresAt ?? null,
      lastSyncAt: s.lastSyncAt ?? null, events: s.known.length,
    });
  }

  /** Activation (and every retry of it): subscription, full sync, settings, timers. */
  async activate(ctx: Ctx): Promise<void> {
    let s: MailboxState = { ...this.state(ctx), status: 'PENDING' };
    this.save(ctx, s);
    s = this.state(ctx);
    const { tenantId, mailboxId } = this.#ids(ctx);
    try {
      const graph = await this.#d.graph.graphFor(tenantId, mailboxId);
      s = await this.#ensureSubscription(ctx, graph, s, false);
      s = await this.#deltaRound(ctx, graph, withoutDelta(s), 'DELTA');
      s = await this.#pollSettings(ctx, graph, s, 'RECONCILE');
      const { reason: _r, message: _m, nextRetryAt: _n, ...rest } = s;
      this.save(ctx, { ...rest, status: 'ACTIVATED', attempts: 0 });
      ctx.cancel('retry');
      ctx.schedule(ctx.clock.now() + this.#d.options.settingsPollMs, { kind: 'settings' }, 'settings');
      ctx.schedule(ctx.clock.now() + this.#d.options.reconcileMs, { kind: 'reconcile' }, 'reconcile');
    } catch (error) {
      this.fail(ctx, error);
    }
  }

  /** Error (or needs re-authorisation) with the reason and the next retry, on a durable timer. */
  fail(ctx: Ctx, error: unknown): void {
    if (!(error instanceof HcError)) throw error;
    if (SEALED_STATE_CODES.has(error.code)) {
      this.#deactivateFailed(ctx, error);
      return;
    }
    const s = this.state(ctx);
    const attempts = s.attempts + 1;
    const auth = AUTH_CODES.has(error.code);
    // A grant needs a person: retry slowly (the admin may have fixed it), never silently stop.
    const delay = auth ? 60 * 60_000 : Math.max(retryDelayMs(attempts, this.#random), namedWaitMs(error));
    const nextRetryAt = ctx.clock.now() + delay;
    this.save(ctx, { ...s, status: auth ? 'NEEDS_REAUTHORIZATION' : 'ERROR', reason: error.code, message: error.message, nextRetryAt, attempts });
    ctx.schedule(nextRetryAt, { kind: 'retry' }, 'retry');
    ctx.logger.warn({ mailbox: ctx.key, code: error.code, attempts, nextRetryAt }, 'mailbox: activation failed; retry scheduled');
  }

  /**
   * FAILED: no timer left, notifications ignored (and no longer routed: the subscription's route is
   * removed; Graph's subscription lapses on its own), one warning. What was synced is kept, so a
   * later activation (keys restored) retracts what changed meanwhile.
   */
  #deactivateFailed(ctx: Ctx, error: HcError): void {
    const s = this.state(ctx);
    for (const id of TIMERS) ctx.cancel(id);
    if (s.subscription !== undefined) ctx.views.remove(SUBSCRIPTIONS_VIEW, s.subscription.id, s.version + 1);
    const { subscription: _s, nextRetryAt: _n, pending: _p, ...rest } = s;
    this.save(ctx, { ...rest, status: 'FAILED', reason: error.code, message: error.message, attempts: s.attempts + 1 });
    ctx.logger.warn({ mailbox: ctx.key, code: error.code }, 'mailbox: deactivated, its sealed state cannot be opened with this deployment\'s keys (no retry; activate it again once the keys are restored)');
  }

  async deactivate(ctx: Ctx): Promise<void> {
    const s = this.state(ctx);
    const { tenantId, mailboxId } = this.#ids(ctx);
    for (const id of TIMERS) ctx.cancel(id);
    if (s.subscription !== undefined) {
      ctx.views.remove(SUBSCRIPTIONS_VIEW, s.subscription.id, s.version + 1);
      try {
        await (await this.#d.graph.graphFor(tenantId, mailboxId)).deleteSubscription(mailboxId, s.subscription.id);
      } catch (error) {
        // An unreachable or already deleted subscription expires on its own within three days.
        ctx.logger.info({ mailbox: ctx.key, code: (error as HcError).code }, 'mailbox: subscription delete failed; it will expire');
      }
    }
    this.save(ctx, { ...INITIAL_STATE, version: s.version });
  }

  async onNotification(ctx: Ctx, n: GraphNotification): Promise<void> {
    const s = this.state(ctx);
    if (s.status !== 'ACTIVATED') return;
    if (s.subscription !== undefined && n.subscriptionId !== null && n.subscriptionId !== s.subscription.id) return; // an old subscription's late delivery
    const { tenantId, mailboxId } = this.#ids(ctx);
    try {
      const graph = await this.#d.graph.graphFor(tenantId, mailboxId);
      if (n.kind === 'LIFECYCLE') {
        if (n.lifecycleEvent === 'SUBSCRIPTION_REMOVED') {
          const renewed = await this.#ensureSubscription(ctx, graph, s, true);
          this.save(ctx, await this.#deltaRound(ctx, graph, renewed, 'RECONCILE'));
        } else if (n.lifecycleEvent === 'REAUTHORIZATION_REQUIRED') {
          this.save(ctx, await this.#renew(ctx, graph, s));
        } else if (n.lifecycleEvent === 'MISSED') {
          this.save(ctx, await this.#deltaRound(ctx, graph, s, 'RECONCILE'));
        }
        return;
      }
      if (n.eventId !== null) await this.#onChange(ctx, graph, s, n.eventId, n);
    } catch (error) {
      this.#transient(ctx, error);
    }
  }

  /**
   * A change notification is a hint; what is emitted is what Graph answers now. Deletions are
   * re-read too (404 → deleted): a notification can arrive after a delta round already read a newer
   * state — an occurrence an attendee cancelled, restored since by the organizer's series update.
   */
  async #onChange(ctx: Ctx, graph: GraphAccess, s: MailboxState, eventId: string, n: GraphNotification): Promise<void> {
    const known = s.known.find((e) => e.i === eventId);
    if (n.changeType !== 'DELETED' && known !== undefined && n.changeKey !== null && known.k === n.changeKey) return; // duplicate
    const pending = s.pending ?? [];
    if (n.changeType === 'DELETED' && known === undefined && !pending.includes(eventId)) {
      // Not an event we emitted: a series master (its occurrences go with it) or one outside the window.
      this.save(ctx, await this.#deltaRound(ctx, graph, s, 'RECONCILE'));
      return;
    }
    const batchMs = this.#d.options.fetchBatchMs ?? 0;
    if (batchMs > 0) {
      if (pending.includes(eventId)) return; // already to be read
      if (pending.length >= MAX_PENDING) {
        ctx.schedule(ctx.clock.now() + batchMs, { kind: 'reconcile' }, 'reconcile');
        return;
      }
      this.save(ctx, { ...s, pending: [...pending, eventId] });
      if (pending.length === 0) ctx.schedule(ctx.clock.now() + batchMs, { kind: 'fetch' }, 'fetch');
      return;
    }
    const { mailboxId } = this.#ids(ctx);
    let event: GraphEvent | null;
    try {
      event = await graph.getEvent(mailboxId, eventId);
    } catch (error) {
      if (error instanceof HcError && error.code === 'HC_ERR_GRAPH_ITEM_NOT_FOUND') event = null;
      else throw error;
    }
    const scope = event === null ? 'inside' : windowScope(event, s.windowDay ?? utcDay(ctx.clock.now()));
    // A series master changed: its occurrences did, and a delta round reads them.
    if (scope === 'master') this.save(ctx, await this.#deltaRound(ctx, graph, s, 'RECONCILE'));
    else this.save(ctx, await this.#apply(ctx, s, [{ id: eventId, event: scope === 'inside' ? event : null }], 'NOTIFICATION'));
  }

  /** A failure outside activation: auth failures change the lifecycle, others bring the reconciliation forward. */
  #transient(ctx: Ctx, error: unknown): void {
    if (error instanceof HcError && (AUTH_CODES.has(error.code) || SEALED_STATE_CODES.has(error.code) || ['HC_ERR_GRAPH_MAILBOX_NOT_FOUND', 'HC_ERR_GRAPH_NOT_EXCHANGE_ONLINE', 'HC_ERR_GRAPH_ACCESS_POLICY'].includes(error.code))) {
      this.fail(ctx, error);
      return;
    }
    if (!(error instanceof HcError)) throw error;
    ctx.schedule(ctx.clock.now() + Math.max(retryDelayMs(3, this.#random), namedWaitMs(error)), { kind: 'reconcile' }, 'reconcile');
    ctx.logger.info({ mailbox: ctx.key, code: error.code }, 'mailbox: Graph call failed; reconciliation brought forward');
  }

  async onTimer(ctx: Ctx, kind: string): Promise<void> {
    const s = this.state(ctx);
    if (kind === 'retry') {
      if (s.status === 'ERROR' || s.status === 'NEEDS_REAUTHORIZATION') await this.activate(ctx);
      return;
    }
    if (s.status !== 'ACTIVATED') return;
    const { tenantId, mailboxId } = this.#ids(ctx);
    try {
      const graph = await this.#d.graph.graphFor(tenantId, mailboxId);
      if (kind === 'renew') {
        this.save(ctx, await this.#renew(ctx, graph, s));
      } else if (kind === 'settings') {
        ctx.schedule(ctx.clock.now() + this.#d.options.settingsPollMs, { kind: 'settings' }, 'settings');
        this.save(ctx, await this.#pollSettings(ctx, graph, s, 'POLL'));
      } else if (kind === 'fetch') {
        await this.#fetchPending(ctx, graph, s);
      } else if (kind === 'reconcile') {
        ctx.schedule(ctx.clock.now() + this.#d.options.reconcileMs, { kind: 'reconcile' }, 'reconcile');
        this.save(ctx, await this.#deltaRound(ctx, graph, s, 'RECONCILE'));
      }
    } catch (error) {
      if (kind === 'fetch' && error instanceof HcError) ctx.schedule(ctx.clock.now() + retryDelayMs(3, this.#random), { kind: 'fetch' }, 'fetch');
      this.#transient(ctx, error);
    }
  }

  /**
   * Re-reads the notified changes together (`$batch`, up to 20 per request). Items Graph throttled
   * inside a batch stay pending and are retried by a durable timer at their exact `Retry-After`.
   */
  async #fetchPending(ctx: Ctx, graph: GraphAccess, s: MailboxState): Promise<void> {
    const pending = s.pending ?? [];
    if (pending.length === 0) return;
    const { mailboxId } = this.#ids(ctx);
    const result = await graph.fetchEventsOnce(mailboxId, pending);
    const day = s.windowDay ?? utcDay(ctx.clock.now());
    const scoped = pending.filter((id) => result.found.has(id)).map((id) => ({ id, event: result.found.get(id)!, scope: windowScope(result.found.get(id)!, day) }));
    const changes = [
      ...scoped.map(({ id, event, scope }) => ({ id, event: scope === 'inside' ? event : null })),
      ...result.missing.map((id) => ({ id, event: null })),
    ];
    const next = await this.#apply(ctx, s, changes, 'NOTIFICATION');
    if (scoped.some((c) => c.scope === 'master')) {
      // A series master changed: a delta round reads its occurrences (and every other change, the throttled ones included).
      this.save(ctx, await this.#deltaRound(ctx, graph, next, 'RECONCILE'));
      return;
    }
    this.save(ctx, { ...next, pending: [...result.throttled] });
    if (result.throttled.length > 0) {
      const wait = result.retryAfterMs ?? retryDelayMs(1, this.#random);
      ctx.schedule(ctx.clock.now() + wait, { kind: 'fetch' }, 'fetch');
      ctx.logger.info({ mailbox: ctx.key, throttled: result.throttled.length, waitMs: wait }, 'mailbox: batch items throttled; retry at Retry-After');
    }
  }

  async resync(ctx: Ctx): Promise<void> {
    const s = this.state(ctx);
    if (s.status !== 'ACTIVATED') {
      await this.activate(ctx);
      return;
    }
    const { tenantId, mailboxId } = this.#ids(ctx);
    try {
      const graph = await this.#d.graph.graphFor(tenantId, mailboxId);
      this.save(ctx, await this.#deltaRound(ctx, graph, withoutDelta(s), 'RECONCILE'));
    } catch (error) {
      this.#transient(ctx, error);
    }
  }

  async #ensureSubscription(ctx: Ctx, graph: GraphAccess, s: MailboxState, recreate: boolean): Promise<MailboxState> {
    if (s.subscription !== undefined && !recreate && s.subscription.expiresAt > ctx.clock.now() + 60 * 60_000) return s;
    const { tenantId, mailboxId } = this.#ids(ctx);
    if (s.subscription !== undefined) {
      ctx.views.remove(SUBSCRIPTIONS_VIEW, s.subscription.id, s.version + 1);
      await graph.deleteSubscription(mailboxId, s.subscription.id).catch(() => undefined);
    }
    const clientState = randomBytes(32).toString('base64url');
    const created = await graph.createSubscription(mailboxId, {
      notificationUrl: this.#d.options.notificationUrl, lifecycleNotificationUrl: this.#d.options.notificationUrl,
      clientState, expirationDateTime: new Date(ctx.clock.now() + SUBSCRIPTION_LIFETIME_MS).toISOString(),
    });
    const sealed = await this.#d.keyring.seal(secretContext(tenantId, ctx.key, 'client-state'), Buffer.from(clientState, 'utf8'));
    ctx.views.upsert(SUBSCRIPTIONS_VIEW, created.id, 1, { tenantId, mailboxId, clientStateHash: clientStateHash(clientState) });
    const expiresAt = Date.parse(created.expirationDateTime);
    ctx.schedule(renewAt(expiresAt, this.#random), { kind: 'renew' }, 'renew');
    return { ...s, subscription: { id: created.id, expiresAt, clientStateSealed: sealed.toString('base64') } };
  }

  /** PATCH with a new expiry (also reauthorizes); a subscription Graph no longer knows is recreated. */
  async #renew(ctx: Ctx, graph: GraphAccess, s: MailboxState): Promise<MailboxState> {
    if (s.subscription === undefined) return this.#ensureSubscription(ctx, graph, s, true);
    const { mailboxId } = this.#ids(ctx);
    try {
      const renewed = await graph.renewSubscription(mailboxId, s.subscription.id, new Date(ctx.clock.now() + SUBSCRIPTION_LIFETIME_MS).toISOString());
      const expiresAt = Date.parse(renewed.expirationDateTime);
      ctx.schedule(renewAt(expiresAt, this.#random), { kind: 'renew' }, 'renew');
      return { ...s, subscription: { ...s.subscription, expiresAt } };
    } catch (error) {
      if (error instanceof HcError && error.code === 'HC_ERR_GRAPH_ITEM_NOT_FOUND') {
        const recreated = await this.#ensureSubscription(ctx, graph, s, true);
        return this.#deltaRound(ctx, graph, recreated, 'RECONCILE');
      }
      throw error;
    }
  }

  /**
   * A delta round: incremental from the delta link, or fresh over the window (first time, a new
   * day, a lost token → 410). A fresh round also finds deletions nobody notified: events known
   * before but not returned are emitted as deleted.
   */
  async #deltaRound(ctx: Ctx, graph: GraphAccess, s: MailboxState, source: RawCalendarRecord['source']): Promise<MailboxState> {
    const { mailboxId } = this.#ids(ctx);
    const day = utcDay(ctx.clock.now());
    let fresh = s.deltaLink === undefined || s.windowDay !== day;
    for (let restart = 0; ; restart += 1) {
      try {
        const changes: { id: string; event: GraphEvent | null }[] = [];
        let link = fresh ? undefined : s.deltaLink;
        let deltaLink: string | undefined;
        for (let page = 0; page < 10_000; page += 1) {
          const result = await graph.deltaPage(mailboxId, link === undefined ? { window: syncWindow(day) } : { link }, this.#d.options.deltaPageSize);
          for (const e of result.events) changes.push({ id: e.id, event: e });
          for (const id of result.removedIds) changes.push({ id, event: null });
          if (result.deltaLink !== undefined) {
            deltaLink = result.deltaLink;
            break;
          }
          if (result.nextLink === undefined) break;
          link = result.nextLink;
        }
        if (fresh) {
          const seen = new Set(changes.map((c) => c.id));
          for (const k of s.known) if (!seen.has(k.i)) changes.push({ id: k.i, event: null });
        }
        const applied = await this.#apply(ctx, s, changes, source === 'DELTA' ? 'DELTA' : source);
        // A completed round read every change up to now, the notified ones included.
        return { ...applied, pending: [], windowDay: day, lastSyncAt: ctx.clock.now(), ...(deltaLink === undefined ? {} : { deltaLink }) };
      } catch (error) {
        if (error instanceof HcError && error.code === 'HC_ERR_GRAPH_SYNC_RESET' && restart === 0) {
          fresh = true;
          continue;
        }
        throw error;
      }
    }
  }

  /** Emits sealed raw records for what changed (skipping versions already emitted) and updates the known set. */
  async #apply(ctx: Ctx, s: MailboxState, changes: readonly { id: string; event: GraphEvent | null }[], source: RawCalendarRecord['source']): Promise<MailboxState> {
    const { tenantId, mailboxId } = this.#ids(ctx);
    const known = new Map(s.known.map((k) => [k.i, k.k]));
    const now = ctx.clock.now();
    for (const change of changes) {
      const before = known.get(change.id);
      if (change.event === null) {
        if (before === undefined) continue;
        known.delete(change.id);
        ctx.emit('calendar.raw.v1', ctx.key, await sealRawEvent(this.#d.keyring, { tenantId, mailboxId, eventId: change.id, changeType: 'DELETED', source, fetchedAt: now, event: null }));
        continue;
      }
      const changeKey = typeof change.event['changeKey'] === 'string' ? change.event['changeKey'] : '';
      if (before !== undefined && before === changeKey && changeKey !== '') continue;
      known.set(change.id, changeKey);
      ctx.emit('calendar.raw.v1', ctx.key, await sealRawEvent(this.#d.keyring, {
        tenantId, mailboxId, eventId: change.id, changeType: before === undefined ? 'CREATED' : 'UPDATED', source, fetchedAt: now, event: change.event,
      }));
    }
    const list: KnownEvent[] = [...known].map(([i, k]) => ({ i, k }));
    return { ...s, known: list };
  }

  /** Reads mailboxSettings and emits them sealed only when what we use changed. */
  async #pollSettings(ctx: Ctx, graph: GraphAccess, s: MailboxState, source: 'POLL' | 'RECONCILE'): Promise<MailboxState> {
    const { tenantId, mailboxId } = this.#ids(ctx);
    const all = await graph.getMailboxSettings(mailboxId);
    const settings = {
      automaticRepliesSetting: all['automaticRepliesSetting'] ?? null, language: all['language'] ?? null,
      timeZone: all['timeZone'] ?? null, workingHours: all['workingHours'] ?? null,
    };
    const hash = createHash('sha256').update(JSON.stringify({ ...settings, automaticRepliesSetting: meaningfulReplies(settings.automaticRepliesSetting) })).digest('base64');
    if (hash === s.settingsHash) return s;
    ctx.emit('mailbox.settings.raw.v1', ctx.key, await sealRawSettings(this.#d.keyring, { tenantId, mailboxId, source, fetchedAt: ctx.clock.now(), settings }));
    return { ...s, settingsHash: hash };
  }
}

/**
 * What of automatic replies counts as a change: with status `disabled`, Exchange still answers a
 * scheduled window that floats with the clock (a mailbox that never set one) — not a change.
 */
function meaningfulReplies(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value ?? null;
  const replies = value as Record<string, unknown>;
  if (String(replies['status']).toLowerCase() !== 'disabled') return replies;
  return { status: 'disabled' };
}

function withoutDelta(s: MailboxState): MailboxState {
  const { deltaLink: _dropped, ...rest } = s;
  return rest;
}
