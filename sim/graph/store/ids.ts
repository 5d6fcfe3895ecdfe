/** Graph-looking ids, iCalUIds and changeKeys, deterministic from counters (no randomness). */

export const EVENT_ID_PREFIX = 'AAMkAGI';
const EVENT_ID_LENGTH = EVENT_ID_PREFIX.length + 16;
const OCCURRENCE_MARK = 'ABAA';

export function eventId(mailboxIndex: number, counter: number): string {
  const bytes = Buffer.allocUnsafe(12);
  bytes.writeUInt32BE(mailboxIndex >>> 0, 0);
  bytes.writeUInt32BE(counter >>> 0, 4);
  bytes.writeUInt32BE(Math.imul(counter ^ mailboxIndex, 2654435761) >>> 0, 8);
  return EVENT_ID_PREFIX + bytes.toString('base64url');
}

export function occurrenceId(masterId: string, originalStartMs: number): string {
  const bytes = Buffer.allocUnsafe(6);
  bytes.writeUIntBE(Math.floor(originalStartMs / 1000), 0, 6);
  return masterId + OCCURRENCE_MARK + bytes.toString('base64url');
}

/** Splits an occurrence id into its master id and original start, or undefined for other ids. */
export function parseOccurrenceId(id: string): { masterId: string; originalStartMs: number } | undefined {
  if (id.length !== EVENT_ID_LENGTH + OCCURRENCE_MARK.length + 8 || id.slice(EVENT_ID_LENGTH, EVENT_ID_LENGTH + 4) !== OCCURRENCE_MARK) return undefined;
  const bytes = Buffer.from(id.slice(EVENT_ID_LENGTH + 4), 'base64url');
  if (bytes.length !== 6) return undefined;
  return { masterId: id.slice(0, EVENT_ID_LENGTH), originalStartMs: bytes.readUIntBE(0, 6) * 1000 };
}

/** FNV-1a over a string, 32 hex characters (two lanes). */
export function hash128(text: string): string {
  return hashParts([text]);
}

/** hash128 of the parts joined by '|', without building the joined string. */
function hashParts(parts: readonly string[]): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let p = 0; p < parts.length; p += 1) {
    if (p > 0) {
      a = Math.imul(a ^ 124, 16777619);
      b = Math.imul(b ^ 124, 2246822519);
    }
    const text = parts[p] as string;
    for (let i = 0; i < text.length; i += 1) {
      const c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 16777619);
      b = Math.imul(b ^ c, 2246822519);
    }
  }
  const h = (x: number) => (x >>> 0).toString(16).padStart(8, '0');
  return (h(a) + h(b) + h(a ^ b) + h(Math.imul(a, b))).toUpperCase();
}

const ICAL_PREFIX = '040000008200E00074C5B7101A82E008';

/** iCalUId in Outlook's layout; occurrences carry their date in bytes 16-19 as Outlook does. */
export function iCalUId(seed: string, occurrenceDate?: string): string {
  const date = occurrenceDate === undefined ? '00000000' : occurrenceDate.replace(/-/g, '').replace(/^(\d{4})(\d{2})(\d{2})$/, (_m, y: string, mo: string, d: string) =>
    Number(y).toString(16).toUpperCase().padStart(4, '0') + Number(mo).toString(16).toUpperCase().padStart(2, '0') + Number(d).toString(16).toUpperCase().padStart(2, '0'));
  return `${ICAL_PREFIX}${date}00000000000000000100000000000000001000000${hash128(seed)}`;
}

/** iCalUId(parts.join('|')) of a new event, without building the seed string. */
export function iCalUIdOfParts(parts: readonly string[]): string {
  return `${ICAL_PREFIX}0000000000000000000000000100000000000000001000000${hashParts(parts)}`;
}

export function changeKey(counter: number): string {
  const bytes = Buffer.allocUnsafe(8);
  bytes.writeUInt32BE(counter >>> 0, 0);
  bytes.writeUInt32BE(Math.imul(counter, 2246822519) >>> 0, 4);
  return `DwAAABYAAAA${bytes.toString('base64')}`;
}
