import { HcError } from '../common/index.js';
import type { MeetingSensitiveFields } from './model.js';

/**
 * A meeting's card: the four sensitive fields a meeting list shows (subject, location, organizer,
 * joinDetails), sealed together as one more field of calendar.meetings.v1 named `card` (same key,
 * associated data binding tenant, record key, meeting id and the name `card`). A list of 50
 * meetings opens 50 ciphertexts instead of 200: an AES-GCM decryption costs 6-10 µs in Node
 * whatever its size, so the fields' count, not their bytes, is the cost. The four fields stay
 * sealed one by one as well (device bookings, write-back and replays open them alone).
 *
 * Plaintext: the JSON array [subject, location, organizer, joinDetails], each as in its own field
 * (strings, or the parsed organizer and join details), null where the field is null.
 */
export const CARD_FIELD = 'card';

export type MeetingCard = Pick<MeetingSensitiveFields, 'subject' | 'location' | 'organizer' | 'joinDetails'>;

export function cardPlaintext(sensitive: MeetingCard): Buffer {
  return Buffer.from(JSON.stringify([sensitive.subject, sensitive.location, sensitive.organizer, sensitive.joinDetails]), 'utf8');
}

/** An opened meeting card is not what `cardPlaintext` writes. */
export class CardFormatError extends HcError {
  constructor(message: string) {
    super('HC_ERR_CARD_FORMAT', message);
  }
}

/** The card's four fields; a plaintext that is not a card's is refused (the writer is broken). */
export function parseCard(plaintext: string): { subject: string | null; location: string | null; organizer: unknown; joinDetails: unknown } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext);
  } catch {
    throw new CardFormatError('A meeting card does not hold JSON; the writer is broken.');
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) throw new CardFormatError('A meeting card is not an array of its four fields; the writer is broken.');
  const [subject, location, organizer, joinDetails] = parsed as unknown[];
  const text = (v: unknown): string | null => {
    if (v === null || typeof v === 'string') return v;
    throw new CardFormatError('A meeting card holds a subject or location that is not text; the writer is broken.');
  };
  return { subject: text(subject), location: text(location), organizer: organizer ?? null, joinDetails: joinDetails ?? null };
}
