import { createHash } from 'node:crypto';
import type { KeywordAction, WritebackOrgSettings } from './settings.js';
import { WritebackNotConfiguredError } from './errors.js';

/**
 * The meeting provider interface: what issues join details for a keyword meeting. The built-in
 * provider derives them from the org's settings; an adapter for a real meetings API implements the
 * same interface (see processors/README.md "Write-back"):
 *
 * - `issue` must be idempotent for the same `meetingKey` and `kind` (pass `meetingKey` to the API
 *   as its idempotency key or look the meeting up by it): write-back re-issues on every retry, on a
 *   replay and after a move, and expects the same details back.
 * - Errors: `MeetingProviderUnavailableError` (network, 5xx, 429: the record waits with capped
 *   back-off, its mailbox's later records queue behind it), `MeetingProviderError` with
 *   `retryable: true` (retried up to the runtime's attempts) or `false` (the meeting is marked
 *   failed at once and its record dead-lettered). Messages carry no address or subject.
 * - `release` is called when the keyword is removed (a one-time meeting can be deleted); it must
 *   tolerate an unknown meeting.
 */
export type MeetingKind = KeywordAction;

export interface JoinRequest {
  readonly tenantId: string;
  readonly mailboxId: string;
  /** Stable per meeting: the series master's id for a series (a space is reused across its occurrences), else the event id. */
  readonly meetingKey: string;
  readonly kind: MeetingKind;
  readonly keyword: 'WEBEX' | 'MEET';
  /** The scheduler's address (personal room) — never logged. */
  readonly hostAddress: string;
  readonly start: number;
  readonly end: number;
  readonly settings: WritebackOrgSettings;
}

export interface IssuedJoinDetails {
  /** Provider id (`webex-builtin`, …). */
  readonly provider: string;
  readonly kind: MeetingKind;
  readonly joinUrl: string;
  readonly sipAddress: string;
  readonly meetingNumber: string | null;
  readonly dialIn: { readonly number: string; readonly label: string } | null;
}

export interface MeetingProvider {
  readonly id: string;
  issue(request: JoinRequest): Promise<IssuedJoinDetails>;
  release?(request: JoinRequest): Promise<void>;
  /** Whether a body (outside our block) already carries join details of this provider: then nothing is added. */
  hasJoinDetails(content: string, settings: WritebackOrgSettings): boolean;
}

function digest(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

/**
 * The built-in provider: join details from the org's meeting site (`siteDomain`), without any
 * meetings API — a personal room per user (`https://<site>/meet/<user>`), a space per meeting
 * reused across its occurrences, and one-time meetings with a number, a link, a SIP video address
 * and the org's optional dial-in. Numbers and ids are derived from the meeting, so re-issuing
 * gives the same details.
 */
export class BuiltinMeetingProvider implements MeetingProvider {
  readonly id = 'webex-builtin';

  issue(request: JoinRequest): Promise<IssuedJoinDetails> {
    return Promise.resolve().then(() => this.#issue(request));
  }

  #issue(request: JoinRequest): IssuedJoinDetails {
    const site = request.settings.siteDomain;
    if (site === null) throw new WritebackNotConfiguredError('The org has no meeting site for keyword meetings; set siteDomain in its write-back settings (or writeback.defaultSiteDomain).');
    if (request.kind === 'personal-room') {
      const user = (request.hostAddress.split('@')[0] ?? '').toLowerCase();
      return { provider: this.id, kind: 'personal-room', joinUrl: `https://${site}/meet/${encodeURIComponent(user)}`, sipAddress: `${user}@${site}`, meetingNumber: null, dialIn: null };
    }
    const h = digest(request.tenantId, request.kind, request.meetingKey);
    if (request.kind === 'space') {
      const room = h.slice(0, 24);
      return { provider: this.id, kind: 'space', joinUrl: `https://${site}/space/${room}`, sipAddress: `${room}@${site}`, meetingNumber: null, dialIn: null };
    }
    const number = String(2_000_000_000 + (parseInt(h.slice(0, 12), 16) % 7_000_000_000));
    return {
      provider: this.id, kind: 'one-time', joinUrl: `https://${site}/j.php?MTID=m${h.slice(0, 32)}`, sipAddress: `${number}@${site}`,
      meetingNumber: number.replace(/^(\d{4})(\d{3})(\d{3,})$/, '$1 $2 $3'), dialIn: request.settings.dialIn,
    };
  }

  hasJoinDetails(content: string, settings: WritebackOrgSettings): boolean {
    const lower = content.toLowerCase();
    if (settings.siteDomain !== null && lower.includes(settings.siteDomain)) return true;
    return /https?:\/\/[a-z0-9.-]+\.webex\.com\//.test(lower);
  }
}
