/** Graph-looking ids, iCalUIds and changeKeys, deterministic from counters (no randomness). */

export const EVENT_ID_PREFIX = 'AAMkAGI';
const EVENT_ID_LENGTH = EVENT_ID_PREFIX.length + 16;
const OCCURRENCE_MARK = 'ABAA';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const HEX = '0123456789ABCDEF';

/** Character codes of `text` appended to `out` from `at`; returns the next position. */
function putText(out: number[], at: number, text: string): number {
  for (let i = 0; i < text.length; i += 1) out[at + i] = text.charCodeAt(i);
  return at + text.length;
}

/** Base64 (alphabet given) of the 32-bit big-endian words, appended to `out` (padded with '='). */
function putBase64(out: number[], at: number, alphabet: string, words: readonly number[]): number {
  const bytes: number[] = [];
  for (const w of words) bytes.push((w >>> 24) & 255, (w >>> 16) & 255, (w >>> 8) & 255, w & 255);
  let k = at;
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i] as number;
    const b1 = bytes[i + 1];
    const b2 = bytes[i + 2];
    out[k++] = alphabet.charCodeAt(b0 >> 2);
    out[k++] = alphabet.charCodeAt(((b0 & 3) << 4) | ((b1 ?? 0) >> 4));
    if (b1 === undefined) { out[k++] = 61; out[k++] = 61; break; }
    out[k++] = alphabet.charCodeAt(((b1 & 15) << 2) | ((b2 ?? 0) >> 6));
    if (b2 === undefined) { out[k++] = 61; break; }
    out[k++] = alphabet.charCodeAt(b2 & 63);
  }
  return k;
}

/** One flat string from character codes (ids are kept for the store's lifetime; no cons strings). */
function fromCodes(codes: number[], length: number): string {
  codes.length = length;
  return String.fromCharCode.apply(null, codes);
}

export function eventId(mailboxIndex: number, counter: number): string {
  const codes: number[] = [];
  const at = putText(codes, 0, EVENT_ID_PREFIX);
  const end = putBase64(codes, at, B64URL, [mailboxIndex >>> 0, counter >>> 0, Math.imul(counter ^ mailboxIndex, 2654435761) >>> 0]);
  return fromCodes(codes, end);
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
  const codes: number[] = [];
  return fromCodes(codes, putHash(codes, 0, parts));
}

/** The 32 upper-case hex digits of hash128(parts.join('|')), appended to `out`. */
function putHash(out: number[], at: number, parts: readonly string[]): number {
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
  let k = at;
  for (const x of [a, b, a ^ b, Math.imul(a, b)]) {
    for (let shift = 28; shift >= 0; shift -= 4) out[k++] = HEX.charCodeAt((x >>> shift) & 15);
  }
  return k;
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
  const codes: number[] = [];
  const at = putText(codes, 0, `${ICAL_PREFIX}0000000000000000000000000100000000000000001000000`);
  return fromCodes(codes, putHash(codes, at, parts));
}

export function changeKey(counter: number): string {
  const codes: number[] = [];
  const at = putText(codes, 0, 'DwAAABYAAAA');
  return fromCodes(codes, putBase64(codes, at, B64, [counter >>> 0, Math.imul(counter, 2246822519) >>> 0]));
}
