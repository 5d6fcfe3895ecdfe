import { createHash } from 'node:crypto';
import { HcError } from '../../common/index.js';
import { GraphConflictError, GraphItemNotFoundError, type GraphEvent } from '../../graph/index.js';
import { fieldName, type InputRecord, type Processor, type ProcessorContext, type TimerFired } from '../../runtime/index.js';
import type { MeetingOccurrence } from '../../schemas/index.js';
import { findBlocks, removeBlocks, renderBlock, upsertBlock, type BodyType } from './block.js';
import { WritebackConflictError, WritebackInputError } from './errors.js';
import { MARKER_PROPERTY_ID, type WritebackGraph, type WritebackGraphSource } from './graph-port.js';
import { chooseLanguage, headerFooterOf, textsOf } from './locales.js';
import type { MeetingProvider } from './provider.js';
import type { KeywordAction, WritebackOrgSettings, WritebackSettingsSource } from './settings.js';

export const WRITEBACK_VIEW = 'writeback_meetings';
const DLQ_TOPIC = 'calendar.meetings.v1.dlq.v1';
const SELECT = ['body', 'type', 'seriesMasterId', 'start', 'end', 'isOrganizer'];
const KEEP_AFTER_END_MS = 8 * 24 * 3_600_000;

export type TargetStatus = 'decorated' | 'removed' | 'failed' | 'skipped' | 'retrying';
const RETRY_MAX_MS = 30 * 60_000;

/** What we did to one target event (the event itself, or the series master for a plain occurrence). */
export interface TargetEntry {
  readonly st: TargetStatus;
  /** Hash of the inputs of the block we wrote (kind, language, header/footer, site, host). */
  readonly in: string | null;
  /** Error code of a failure, or why it was skipped (`past`, `has-join-details`). */
  readonly reason: string | null;
  readonly end: number;
  /** Transient failures in a row (only while `retrying`). */
  readonly n?: number;
}

/** Per mailbox: each meeting's highest version seen and its target; each target's entry. No plaintext. */
export interface WritebackState {
  readonly m: Readonly<Record<string, { readonly v: number; readonly end: number; readonly t: string }>>;
  readonly t: Readonly<Record<string, TargetEntry>>;
}

export interface WritebackProcessorDeps {
  readonly graph: WritebackGraphSource;
  readonly settings: WritebackSettingsSource;
  readonly provider: MeetingProvider;
  readonly maxConflictRetries: number;
  /** Timer-driven retries of a transient failure before the meeting is failed and dead-lettered (default 8). */
  readonly transientRetries?: number;
  /** First wait before such a retry, doubling up to 30 minutes (default 60 s). */
  readonly transientRetryMs?: number;
  readonly profileCacheMs: number;
}

/** What a retry timer carries: the meeting without its encrypted fields (never needed: the body is re-read) and the raw record for a dead letter. */
interface RetryPayload {
  readonly meeting: Omit<MeetingOccurrence, 'subject' | 'body' | 'location' | 'organizer' | 'attendees' | 'joinDetails' | 'keyRef'> & { keyRef: unknown };
  readonly raw: string | null;
  readonly partition: number;
  readonly offset: string;
}

interface Profile {
  readonly address: string;
  readonly locale: string | null;
}

interface Outcome {
  readonly target: string;
  readonly entry: TargetEntry;
  readonly kind: KeywordAction | null;
  readonly language: string | null;
  readonly patches: number;
}

function actionOf(m: MeetingOccurrence, settings: WritebackOrgSettings): KeywordAction {
  const mod = m.intent?.modifier;
  if (mod === 'MYROOM') return 'personal-room';
  if (mod === 'SPACE') return 'space';
  if (mod === 'ONETIME') return 'one-time';
  return m.intent?.provider === 'MEET' ? settings.meetKeywordAction : settings.webexKeywordAction;
}

function hash(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 22);
}

function bodyOf(event: GraphEvent): { type: BodyType; contentType: string; content: string } {
  const body = (event['body'] ?? {}) as { contentType?: unknown; content?: unknown };
  const contentType = typeof body.contentType === 'string' ? body.contentType : 'text';
  return { type: contentType.toLowerCase() === 'html' ? 'html' : 'text', contentType, content: typeof body.content === 'string' ? body.content : '' };
}

function markerOf(value: string | null): { st?: string; in?: string } | null {
  if (value === null) return null;
  try {
    return JSON.parse(value) as { st?: string; in?: string };
  } catch {
    return null;
  }
}

/**
 * processors/writeback, keyed tenantId/mailboxId (one actor per mailbox) on calendar.meetings.v1:
 * a keyword meeting (`@webex`, `@meet`, with a modifier) organised by the mailbox gets join details
 * written into its body through Graph; a keyword removed later takes our block out again.
 *
 * The record carries no plaintext: the body is re-read through Graph at write time, edited (our
 * block only) and written back with `If-Match` on the change key just read; a 412 re-reads and
 * retries. An extended property marks what we wrote, so echoes, duplicates and replays are no-ops
 * (one PATCH per real change). A failure that retrying cannot fix becomes the meeting's visible
 * state (`writeback_meetings`) and a dead letter; a transient one is retried by the runtime.
 */
export function createWritebackProcessor(deps: WritebackProcessorDeps): Processor<MeetingOccurrence, WritebackState> {
  const profiles = new Map<string, { at: number; value: Profile }>();

  async function profileOf(graph: WritebackGraph, tenantId: string, mailboxId: string, now: number): Promise<Profile> {
    const key = `${tenantId}/${mailboxId}`;
    const hit = profiles.get(key);
    if (hit !== undefined && now - hit.at < deps.profileCacheMs) return hit.value;
    const user = await graph.getUser(mailboxId);
    const settings = await graph.getMailboxSettings(mailboxId);
    const locale = (settings['language'] as { locale?: unknown } | undefined)?.locale;
    const value = { address: user.mail ?? user.userPrincipalName ?? '', locale: typeof locale === 'string' ? locale : null };
    if (profiles.size > 50_000) profiles.clear();
    profiles.set(key, { at: now, value });
    return value;
  }

  async function decorate(graph: WritebackGraph, m: MeetingOccurrence, settings: WritebackOrgSettings, profile: Profile, kind: KeywordAction, language: string, inputs: string): Promise<Outcome> {
    const texts = textsOf(language);
    const headerFooter = headerFooterOf(language, settings);
    for (let attempt = 0; ; attempt += 1) {
      let target = m.meetingId;
      let read = await graph.getEventWithProperty(m.mailboxId, target, SELECT, MARKER_PROPERTY_ID);
      const master = read.event['seriesMasterId'];
      if (read.event['type'] === 'occurrence' && typeof master === 'string') {
        // A plain occurrence carries the series' Location: the keyword is the series', decorate the master once.
        target = master;
        read = await graph.getEventWithProperty(m.mailboxId, target, SELECT, MARKER_PROPERTY_ID);
      }
      const body = bodyOf(read.event);
      const marker = markerOf(read.property);
      const blocks = findBlocks(body.type, body.content);
      const done = (st: TargetStatus, reason: string | null, patches: number): Outcome => ({ target, entry: { st, in: inputs, reason, end: m.end }, kind, language, patches });
      if (marker?.st === 'decorated' && marker.in === inputs && blocks.length <= 1) return done('decorated', null, 0);
      if (blocks.length === 0 && marker?.st === 'decorated') return done('decorated', 'block-removed-by-user', 0);
      if (blocks.length === 0 && deps.provider.hasJoinDetails(body.content, settings)) return done('skipped', 'has-join-details', 0);
      const meetingKey = kind === 'one-time' ? target : (typeof master === 'string' ? master : target);
      const details = await deps.provider.issue({ tenantId: m.tenantId, mailboxId: m.mailboxId, meetingKey, kind, keyword: m.intent?.provider === 'MEET' ? 'MEET' : 'WEBEX', hostAddress: profile.address, start: m.start, end: m.end, settings });
      const content = upsertBlock(body.type, body.content, renderBlock(body.type, { details, texts, headerFooter, language }));
      const value = JSON.stringify({ v: 1, st: 'decorated', in: inputs, p: deps.provider.id });
      try {
        await graph.patchEventIfMatch(m.mailboxId, target, read.etag, { body: { contentType: body.contentType, content }, singleValueExtendedProperties: [{ id: MARKER_PROPERTY_ID, value }] });
        return done('decorated', null, 1);
      } catch (error) {
        if (!(error instanceof GraphConflictError)) throw error;
        if (attempt >= deps.maxConflictRetries) throw new WritebackConflictError(`The event kept changing while join details were written (${attempt + 1} tries, 412 each); the meeting is marked failed. Its next change retries.`, { cause: error });
      }
    }
  }

  async function undecorate(graph: WritebackGraph, m: MeetingOccurrence, target: string): Promise<Outcome> {
    for (let attempt = 0; ; attempt += 1) {
      const read = await graph.getEventWithProperty(m.mailboxId, target, SELECT, MARKER_PROPERTY_ID);
      const body = bodyOf(read.event);
      const content = removeBlocks(body.type, body.content);
      const done = (patches: number): Outcome => ({ target, entry: { st: 'removed', in: null, reason: null, end: m.end }, kind: null, language: null, patches });
      if (content === body.content && markerOf(read.property)?.st !== 'decorated') return done(0);
      try {
        await graph.patchEventIfMatch(m.mailboxId, target, read.etag, { body: { contentType: body.contentType, content }, singleValueExtendedProperties: [{ id: MARKER_PROPERTY_ID, value: JSON.stringify({ v: 1, st: 'removed' }) }] });
        return done(1);
      } catch (error) {
        if (!(error instanceof GraphConflictError)) throw error;
        if (attempt >= deps.maxConflictRetries) throw new WritebackConflictError(`The event kept changing while join details were removed (${attempt + 1} tries, 412 each); the meeting is marked failed. Its next change retries.`, { cause: error });
      }
    }
  }

  function record(ctx: ProcessorContext<WritebackState>, state: WritebackState, m: MeetingOccurrence, out: Outcome, now: number): void {
    const targets = { ...state.t, [fieldName(out.target)]: out.entry };
    const meetings = { ...state.m, [fieldName(m.meetingId)]: { v: m.version, end: m.end, t: out.target } };
    ctx.state.set(prune({ m: meetings, t: targets }, now));
    ctx.views.upsert(WRITEBACK_VIEW, `${m.tenantId}/${m.mailboxId}/${m.meetingId}`, viewVersion(m.version), {
      tenantId: m.tenantId, mailboxId: m.mailboxId, meetingId: m.meetingId, targetId: out.target, status: out.entry.st, reason: out.entry.reason,
      kind: out.kind, language: out.language, provider: deps.provider.id, updatedAt: now,
    });
    ctx.metrics.increment('writeback_outcomes_total', { status: out.entry.st });
    if (out.patches > 0) ctx.metrics.increment('writeback_patches_total', {}, out.patches);
  }

  function deadLetter(ctx: ProcessorContext<WritebackState>, input: InputRecord<MeetingOccurrence>, error: HcError, now: number): void {
    ctx.emitRaw(DLQ_TOPIC, input.key, input.raw, {
      'hc-error-code': error.code, 'hc-error-message': error.message.slice(0, 1024), 'hc-attempts': '1', 'hc-processor': 'writeback',
      'hc-source-topic': 'calendar.meetings.v1', 'hc-source-partition': String(input.partition), 'hc-source-offset': input.offset, 'hc-failed-at': String(now),
    });
  }

  const transientRetries = deps.transientRetries ?? 8;
  const transientRetryMs = deps.transientRetryMs ?? 60_000;

  /**
   * A write Graph cannot take for now (unavailable, throttled past its budget): the meeting shows
   * `retrying` with the reason and the next attempt, and a durable timer retries it, so one tenant's
   * outage never holds the partition. Past the budget it is `failed` and dead-lettered.
   */
  function retryLater(ctx: ProcessorContext<WritebackState>, state: WritebackState, input: InputRecord<MeetingOccurrence>, target: string, error: HcError, now: number): void {
    const m = input.value;
    const n = (state.t[fieldName(target)]?.st === 'retrying' ? state.t[fieldName(target)]?.n ?? 0 : 0) + 1;
    if (n > transientRetries) {
      ctx.logger.warn({ code: error.code, meetingId: m.meetingId, attempts: n }, 'write-back kept failing; the meeting is marked failed and its record dead-lettered');
      ctx.cancel(`retry:${m.meetingId}`);
      record(ctx, state, m, { target, entry: { st: 'failed', in: null, reason: error.code, end: m.end }, kind: null, language: null, patches: 0 }, now);
      return deadLetter(ctx, input, error, now);
    }
    const at = now + Math.min(RETRY_MAX_MS, transientRetryMs * 2 ** (n - 1));
    const { subject: _s, body: _b, location: _l, organizer: _o, attendees: _a, joinDetails: _j, ...meeting } = m;
    const payload: RetryPayload = { meeting, raw: input.raw === null ? null : input.raw.toString('base64'), partition: input.partition, offset: input.offset };
    ctx.schedule(at, payload as unknown as Record<string, unknown>, `retry:${m.meetingId}`);
    ctx.state.set({ m: state.m, t: { ...state.t, [fieldName(target)]: { st: 'retrying', in: null, reason: error.code, end: m.end, n } } });
    ctx.views.upsert(WRITEBACK_VIEW, `${m.tenantId}/${m.mailboxId}/${m.meetingId}`, viewVersion(m.version, n), {
      tenantId: m.tenantId, mailboxId: m.mailboxId, meetingId: m.meetingId, targetId: target, status: 'retrying', reason: error.code,
      attempts: n, nextRetryAt: at, kind: null, language: null, provider: deps.provider.id, updatedAt: now,
    });
    ctx.metrics.increment('writeback_outcomes_total', { status: 'retrying' });
  }

  async function handle(input: InputRecord<MeetingOccurrence>, ctx: ProcessorContext<WritebackState>, retry: boolean): Promise<void> {
      const m = input.value;
      if (input.key !== `${m.tenantId}/${m.mailboxId}`) throw new WritebackInputError('A meeting arrived under another record key than tenantId/mailboxId; dead-lettered.');
      const now = ctx.clock.now();
      const state = ctx.state.get() ?? { m: {}, t: {} };
      const id = fieldName(m.meetingId);
      if (m.op === 'REMOVE') {
        if (state.m[id] === undefined && state.t[id] === undefined) return;
        const { [id]: _m, ...meetings } = state.m;
        const { [id]: _t, ...targets } = state.t;
        ctx.state.set({ m: meetings, t: targets });
        return;
      }
      const seen = state.m[id];
      if (seen !== undefined && m.version <= seen.v) return ctx.metrics.increment('writeback_duplicates_total');
      if (!retry) ctx.cancel(`retry:${m.meetingId}`);
      const masterEntry = m.seriesMasterId === null ? undefined : state.t[fieldName(m.seriesMasterId)];
      const targetId = seen?.t ?? (masterEntry !== undefined ? m.seriesMasterId! : m.meetingId);
      const entry = state.t[fieldName(targetId)];
      const wanted = m.intent !== null && !m.isCancelled && m.isOrganizer;
      const remember = (): void => ctx.state.set({ m: { ...state.m, [id]: { v: m.version, end: m.end, t: targetId } }, t: state.t });
      if (!wanted && entry?.st !== 'decorated') {
        if (seen !== undefined) remember();
        return;
      }
      if (wanted && entry === undefined && m.end <= now) {
        // Created in the past: left alone, by choice (nobody joins it; rewriting history mails every attendee).
        return record(ctx, state, m, { target: targetId, entry: { st: 'skipped', in: null, reason: 'past', end: m.end }, kind: null, language: null, patches: 0 }, now);
      }
      if (wanted && entry?.reason === 'past') return remember();
      try {
        const settings = await deps.settings.settingsOf(m.tenantId);
        const graph = await deps.graph.graphFor(m.tenantId);
        if (!wanted) return record(ctx, state, m, await undecorate(graph, m, targetId), now);
        const profile = await profileOf(graph, m.tenantId, m.mailboxId, now);
        const kind = actionOf(m, settings);
        const language = chooseLanguage(profile.locale, settings);
        const inputs = hash(deps.provider.id, kind, language, headerFooterOf(language, settings), settings.siteDomain, settings.dialIn, profile.address);
        if (entry !== undefined && entry.st !== 'failed' && entry.st !== 'removed' && entry.in === inputs) {
          ctx.metrics.increment('writeback_unchanged_total');
          return remember();
        }
        record(ctx, state, m, await decorate(graph, m, settings, profile, kind, language, inputs), now);
      } catch (error) {
        if (error instanceof GraphItemNotFoundError) {
          return record(ctx, state, m, { target: targetId, entry: { st: 'removed', in: null, reason: 'event-gone', end: m.end }, kind: null, language: null, patches: 0 }, now);
        }
        if (!(error instanceof HcError)) throw error;
        if (error.retryable) return retryLater(ctx, state, input, targetId, error, now);
        ctx.logger.warn({ code: error.code, meetingId: m.meetingId }, 'write-back failed; the meeting is marked failed and its record dead-lettered');
        record(ctx, state, m, { target: targetId, entry: { st: 'failed', in: null, reason: error.code, end: m.end }, kind: null, language: null, patches: 0 }, now);
        deadLetter(ctx, input, error, now);
      }
  }

  return {
    name: 'writeback',
    process: (input, ctx) => handle(input, ctx, false),
    async onTimer(timer: TimerFired, ctx: ProcessorContext<WritebackState>): Promise<void> {
      const p = timer.payload as unknown as RetryPayload;
      const meeting = { ...p.meeting, subject: null, body: null, location: null, organizer: null, attendees: null, joinDetails: null } as MeetingOccurrence;
      const raw = p.raw === null ? null : Buffer.from(p.raw, 'base64');
      await handle({ topic: 'calendar.meetings.v1', partition: p.partition, offset: p.offset, key: timer.key, value: meeting, raw, headers: {}, timestamp: timer.dueAt }, ctx, true);
    },
  };
}

/**
 * The view's version: the meeting's version, then the step within it — retry n (1..30) before the
 * final outcome (31) — so each retry and the outcome after them supersede what the view shows.
 */
function viewVersion(version: number, retry?: number): number {
  return version * 32 + (retry ?? 31);
}

function prune(state: WritebackState, now: number): WritebackState {
  const horizon = now - KEEP_AFTER_END_MS;
  const keep = <T extends { end: number }>(r: Readonly<Record<string, T>>): Record<string, T> => Object.fromEntries(Object.entries(r).filter(([, e]) => e.end >= horizon));
  return { m: keep(state.m), t: keep(state.t) };
}
