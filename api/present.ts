import { CARD_FIELD, parseCard } from '../schemas/index.js';
import { InvalidInputError } from './errors.js';
import type { BookingViewEntry, FieldDecryptor, MeetingViewEntry } from './ports.js';

type Sealed = { readonly ctx: { readonly recordKey: string; readonly entityId: string; readonly field: string }; readonly ciphertext: Uint8Array };

const MEETING_FIELDS = ['subject', 'location', 'organizer', 'joinDetails'] as const;

/** Shapes view entries for responses; sensitive fields are decrypted here, in memory, per request. */
export class Presenter {
  readonly #decryptor: FieldDecryptor;

  constructor(decryptor: FieldDecryptor) {
    this.#decryptor = decryptor;
  }

  /** Opens the fields of one tenant in order: one batch when the decryptor has one (a kms keyring does). */
  async #openAll(tenantId: string, fields: readonly Sealed[]): Promise<string[]> {
    if (fields.length === 0) return [];
    const opened = this.#decryptor.decryptFields !== undefined
      ? await this.#decryptor.decryptFields(tenantId, fields)
      : await Promise.all(fields.map((f) => this.#decryptor.decryptField({ tenantId, ...f.ctx }, f.ciphertext)));
    return opened.map((plain) => plain.toString('utf8'));
  }

  /**
   * Meetings of one tenant in the given order, every sensitive field opened in one batch: a
   * meeting's card when it has one (one ciphertext), else its four fields one by one.
   */
  async meetings(tenantId: string, entries: readonly MeetingViewEntry[]): Promise<Record<string, unknown>[]> {
    const sealed: Sealed[] = [];
    for (const m of entries) {
      const recordKey = `${tenantId}/${m.mailboxId}`;
      if (m.card !== null && m.card !== undefined) {
        sealed.push({ ctx: { recordKey, entityId: m.meetingId, field: CARD_FIELD }, ciphertext: m.card });
        continue;
      }
      for (const field of MEETING_FIELDS) {
        const ciphertext = m[field];
        if (ciphertext !== null) sealed.push({ ctx: { recordKey, entityId: m.meetingId, field }, ciphertext });
      }
    }
    const texts = await this.#openAll(tenantId, sealed);
    let next = 0;
    const take = (bytes: Uint8Array | null): string | null => (bytes === null ? null : texts[next++]!);
    return entries.map((m) => {
      let subject: string | null, location: string | null, organizer: unknown, join: unknown;
      if (m.card !== null && m.card !== undefined) {
        ({ subject, location, organizer, joinDetails: join } = parseCard(texts[next++]!));
      } else {
        const [s, l, o, j] = MEETING_FIELDS.map((field) => take(m[field]));
        subject = s ?? null;
        location = l ?? null;
        organizer = o === null || o === undefined ? null : JSON.parse(o);
        join = j === null || j === undefined ? null : JSON.parse(j);
      }
      return {
        id: m.meetingId, start: iso(m.start), end: iso(m.end), isAllDay: m.isAllDay, isCancelled: m.isCancelled, isPrivate: m.isPrivate,
        showAs: m.showAs, providerKind: m.providerKind, attendeeCount: m.attendeeCount, version: m.version,
        subject, location,
        organizer: organizer === null ? null : (organizer as { name: string | null; address: string }),
        join: join === null ? null : joinOf(join as Record<string, unknown>),
      };
    });
  }

  /** Bookings of one tenant in the given order (title and join details opened in one batch). */
  async bookings(tenantId: string, entries: readonly BookingViewEntry[]): Promise<Record<string, unknown>[]> {
    const sealed: Sealed[] = [];
    for (const b of entries) {
      const recordKey = `${tenantId}/${b.mailboxId}`;
      if (b.title !== null) sealed.push({ ctx: { recordKey, entityId: b.meetingId, field: 'subject' }, ciphertext: b.title });
      if (b.joinDetails !== null) sealed.push({ ctx: { recordKey, entityId: b.meetingId, field: 'joinDetails' }, ciphertext: b.joinDetails });
    }
    const texts = await this.#openAll(tenantId, sealed);
    let next = 0;
    const take = (bytes: Uint8Array | null): string | null => (bytes === null ? null : texts[next++]!);
    return entries.map((b) => {
      const title = take(b.title);
      const join = take(b.joinDetails);
      return {
        id: b.bookingId, start: iso(b.start), end: iso(b.end), joinAt: b.joinAt === null ? null : iso(b.joinAt), isPrivate: b.isPrivate,
        providerKind: b.providerKind, version: b.version, title: title ?? (b.isPrivate ? 'Private meeting' : null), join: join === null ? null : joinOf(JSON.parse(join) as Record<string, unknown>),
      };
    });
  }
}

function joinOf(join: Record<string, unknown> | null): Record<string, unknown> | null {
  if (join === null) return null;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return { provider: str(join['provider']) ?? 'OTHER', url: str(join['url']), sipUri: str(join['sipUri']), meetingNumber: str(join['meetingNumber']) };
}

/** ISO texts of recent instants: a list's meetings start and end at the same instants request after request. */
const ISO_TEXTS = new Map<number, string>();
const ISO_TEXTS_MAX = 50_000;

export function iso(ms: number): string {
  let text = ISO_TEXTS.get(ms);
  if (text === undefined) {
    text = new Date(ms).toISOString();
    if (ISO_TEXTS.size >= ISO_TEXTS_MAX) ISO_TEXTS.clear();
    ISO_TEXTS.set(ms, text);
  }
  return text;
}

/** A validated [from, to) range of at most maxDays. */
export function parseRange(query: { from: string; to: string }, maxDays: number): { from: number; to: number } {
  const from = Date.parse(query.from);
  const to = Date.parse(query.to);
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new InvalidInputError('from and to must be ISO 8601 instants with an offset, e.g. 2026-01-05T00:00:00Z.');
  if (to <= from) throw new InvalidInputError('to must be after from.');
  if (to - from > maxDays * 86_400_000) throw new InvalidInputError(`The range may span at most ${maxDays} days.`);
  return { from, to };
}
