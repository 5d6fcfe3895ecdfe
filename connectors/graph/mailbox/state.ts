/**
 * A mailbox actor's key state (one runtime state document per tenantId/mailboxId): lifecycle,
 * subscription, delta position and what was emitted (id + changeKey per event in the window, to
 * collapse duplicated and reordered notifications and to find deletions on reconciliation).
 */
export type MailboxStatus = 'NOT_ACTIVATED' | 'PENDING' | 'ACTIVATED' | 'ERROR' | 'NEEDS_REAUTHORIZATION' | 'FAILED';

export interface KnownEvent {
  /** Graph event id. */
  readonly i: string;
  /** changeKey last emitted. */
  readonly k: string;
}

export interface MailboxState {
  readonly status: MailboxStatus;
  /**
   * Error code (HC_ERR_*) and its message, when status is ERROR or NEEDS_REAUTHORIZATION (retried on
   * a timer) or FAILED (deactivated: its sealed state cannot be opened; not retried).
   */
  readonly reason?: string;
  readonly message?: string;
  readonly nextRetryAt?: number;
  readonly attempts: number;
  readonly subscription?: { readonly id: string; readonly expiresAt: number; readonly clientStateSealed: string };
  readonly deltaLink?: string;
  /** UTC day (ms) the window was computed from; a new day slides the window (fresh round). */
  readonly windowDay?: number;
  readonly known: readonly KnownEvent[];
  readonly settingsHash?: string;
  /** Event ids notified as created/updated and not fetched yet (re-read together by `$batch`). */
  readonly pending?: readonly string[];
  readonly lastSyncAt?: number;
  /** Version of the status view document (monotonic). */
  readonly version: number;
}

export const INITIAL_STATE: MailboxState = Object.freeze({ status: 'NOT_ACTIVATED', attempts: 0, known: [], version: 0 });

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** The sync window [day − 7 d, day + 32 d) of a UTC day: covers [now − 7 d, now + 31 d] all day long. */
export function syncWindow(day: number): { start: string; end: string } {
  return { start: new Date(day - 7 * DAY_MS).toISOString(), end: new Date(day + 32 * DAY_MS).toISOString() };
}

export function utcDay(now: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS;
}

/**
 * Where an event re-read after a notification stands against the window the delta rounds keep.
 * calendarView/delta lists instances (single, occurrence, exception) overlapping the window, never
 * a series master (its occurrences stand for it), and reports an event moved out of the window as
 * removed. Emitting a master or an outside event from a notification would keep in the raw stream
 * an event that no delta round lists and so none ever retracts. Times are read as UTC (the
 * connector asks for `outlook.timezone="UTC"`); an event whose times cannot be read counts as inside.
 */
export function windowScope(event: Readonly<Record<string, unknown>>, day: number): 'master' | 'inside' | 'outside' {
  if (event['type'] === 'seriesMaster') return 'master';
  const start = utcMs(event['start']);
  const end = utcMs(event['end']) ?? start;
  if (start === undefined || end === undefined) return 'inside';
  const window = syncWindow(day);
  return end > Date.parse(window.start) && start < Date.parse(window.end) ? 'inside' : 'outside';
}

function utcMs(value: unknown): number | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { dateTime, timeZone } = value as { dateTime?: unknown; timeZone?: unknown };
  if (typeof dateTime !== 'string' || (typeof timeZone === 'string' && timeZone.toUpperCase() !== 'UTC')) return undefined;
  const ms = Date.parse(`${dateTime.slice(0, 19)}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Exponential back-off from seconds to 60 minutes, with jitter in [delay/2, delay]. */
export function retryDelayMs(attempts: number, random: () => number): number {
  const ceiling = Math.min(60 * MINUTE_MS, 2_000 * 2 ** Math.max(0, attempts - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Outlook subscriptions live at most 4,230 minutes; ask for that minus a margin. */
export const SUBSCRIPTION_LIFETIME_MS = 4_230 * MINUTE_MS - 10 * MINUTE_MS;

/**
 * When to renew: between 24 h and 36 h before expiry, spread by a per-mailbox jitter so that the
 * renewals of mailboxes activated together do not land together (and a failed renewal has a day
 * of retries before the subscription lapses).
 */
export function renewAt(expiresAt: number, random: () => number): number {
  return expiresAt - 24 * 60 * MINUTE_MS - Math.round(random() * 12 * 60 * MINUTE_MS);
}
