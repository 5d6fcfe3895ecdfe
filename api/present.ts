import { InvalidInputError } from './errors.js';
import type { BookingViewEntry, FieldDecryptor, MeetingViewEntry } from './ports.js';

/** Shapes view entries for responses; sensitive fields are decrypted here, in memory, per request. */
export class Presenter {
  readonly #decryptor: FieldDecryptor;

  constructor(decryptor: FieldDecryptor) {
    this.#decryptor = decryptor;
  }

  async #open(tenantId: string, mailboxId: string, meetingId: string, field: string, bytes: Uint8Array | null): Promise<string | null> {
    if (bytes === null) return null;
    const plain = await this.#decryptor.decryptField({ tenantId, recordKey: `${tenantId}/${mailboxId}`, entityId: meetingId, field }, bytes);
    return plain.toString('utf8');
  }

  async #json<T>(tenantId: string, mailboxId: string, meetingId: string, field: string, bytes: Uint8Array | null): Promise<T | null> {
    const text = await this.#open(tenantId, mailboxId, meetingId, field, bytes);
    return text === null ? null : (JSON.parse(text) as T);
  }

  async meeting(tenantId: string, m: MeetingViewEntry): Promise<Record<string, unknown>> {
    const [subject, location, organizer, join] = await Promise.all([
      this.#open(tenantId, m.mailboxId, m.meetingId, 'subject', m.subject),
      this.#open(tenantId, m.mailboxId, m.meetingId, 'location', m.location),
      this.#json<{ name: string | null; address: string }>(tenantId, m.mailboxId, m.meetingId, 'organizer', m.organizer),
      this.#json<Record<string, unknown>>(tenantId, m.mailboxId, m.meetingId, 'joinDetails', m.joinDetails),
    ]);
    return {
      id: m.meetingId, start: iso(m.start), end: iso(m.end), isAllDay: m.isAllDay, isCancelled: m.isCancelled, isPrivate: m.isPrivate,
      showAs: m.showAs, providerKind: m.providerKind, attendeeCount: m.attendeeCount, version: m.version,
      subject, location, organizer, join: joinOf(join),
    };
  }

  async booking(tenantId: string, b: BookingViewEntry): Promise<Record<string, unknown>> {
    const [title, join] = await Promise.all([
      this.#open(tenantId, b.mailboxId, b.meetingId, 'subject', b.title),
      this.#json<Record<string, unknown>>(tenantId, b.mailboxId, b.meetingId, 'joinDetails', b.joinDetails),
    ]);
    return {
      id: b.bookingId, start: iso(b.start), end: iso(b.end), joinAt: b.joinAt === null ? null : iso(b.joinAt), isPrivate: b.isPrivate,
      providerKind: b.providerKind, version: b.version, title: title ?? (b.isPrivate ? 'Private meeting' : null), join: joinOf(join),
    };
  }
}

function joinOf(join: Record<string, unknown> | null): Record<string, unknown> | null {
  if (join === null) return null;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return { provider: str(join['provider']) ?? 'OTHER', url: str(join['url']), sipUri: str(join['sipUri']), meetingNumber: str(join['meetingNumber']) };
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
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
