import { BARE_PREFIXES } from './match.js';

/**
 * One pass over a text finding what may be join information: links (with a scheme, `www.`, or a
 * known host printed without one), `sip:`/`sips:`/`h323:`/`tel:` URIs, `user@host` addresses and
 * `+`-prefixed phone numbers. Linear in the text: a single regex of literal alternatives finds
 * starting points, and each token is extended by hand, never re-scanned (the next search starts
 * after it). Tokens longer than MAX_TOKEN are skipped as a whole.
 */
export type HitKind = 'link' | 'address' | 'tel' | 'phone';

export interface Hit {
  readonly kind: HitKind;
  /** Links: the URL; addresses: `user@host` with its scheme when written (`sips:`, `h323:`); phones: digits with `+`. */
  readonly value: string;
  readonly scheme: 'sip' | 'sips' | 'h323' | null;
  readonly offset: number;
  /** Phones: the digits dialled after the number (`,,123456#`). */
  readonly pin?: string;
}

export const MAX_TOKEN = 4096;
/** Hits kept per text: real invitations hold tens; a text with more is hostile, the rest is ignored. */
export const MAX_HITS = 2000;

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// `@` only after a character an address can hold, `+` only where a number can start: a run of
// `@@@@` or `1+1+1` is then not a run of hits.
const START = new RegExp(`https?://|sips?:|h323:|tel:|www\\.|[A-Za-z0-9._%+'-]@|(?<![A-Za-z0-9])\\+[0-9]|${BARE_PREFIXES.map(escapeRegex).join('|')}`, 'gi');

function isDelimiter(code: number): boolean {
  return (
    code <= 32 ||
    code === 0x22 || // "
    code === 0x27 || // '
    code === 0x3c || // <
    code === 0x3e || // >
    code === 0x60 || // `
    code === 0x7f ||
    code === 0xa0 ||
    (code >= 0x2000 && code <= 0x200b) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x3000 ||
    code === 0xfeff ||
    code === 0x201c ||
    code === 0x201d ||
    code === 0x2018 ||
    code === 0x2019 ||
    code === 0xab ||
    code === 0xbb
  );
}

const isHostChar = (code: number): boolean =>
  (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 45 || code === 46;
const isUserChar = (code: number): boolean => isHostChar(code) || code === 95 || code === 43 || code === 37 || code === 39;
const isDigit = (code: number): boolean => code >= 48 && code <= 57;
const isAlnum = (code: number): boolean => isDigit(code) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);

const TRAILING = '.,;:!?)]}*\'"';

function trimTrailing(token: string): string {
  let end = token.length;
  while (end > 0 && TRAILING.includes(token[end - 1]!)) {
    if (token[end - 1] === ')' && token.lastIndexOf('(', end) >= 0) break;
    end -= 1;
  }
  return token.slice(0, end);
}

/** End of the token starting at `from`, looking at most MAX_TOKEN + 1 characters ahead. */
function extendRight(text: string, from: number): number {
  const limit = Math.min(text.length, from + MAX_TOKEN + 1);
  let end = from;
  while (end < limit && !isDelimiter(text.charCodeAt(end))) end += 1;
  return end;
}

export function scanText(text: string): Hit[] {
  const hits: Hit[] = [];
  const re = new RegExp(START.source, 'gi');
  let floor = 0;
  let match: RegExpExecArray | null;
  while ((match = re.exec(text)) !== null) {
    if (hits.length >= MAX_HITS) break;
    const isAddress = match[0].endsWith('@');
    const at = isAddress ? match.index + match[0].length - 1 : match.index;
    const found = isAddress ? '@' : match[0].toLowerCase();
    let end = at + found.length;
    if (found.startsWith('http')) {
      end = extendRight(text, at);
      if (end - at <= MAX_TOKEN) hits.push({ kind: 'link', value: trimTrailing(text.slice(at, end)), scheme: null, offset: at });
    } else if (found === '@') {
      let start = at;
      while (start > floor && isUserChar(text.charCodeAt(start - 1))) start -= 1;
      end = at + 1;
      while (end < text.length && isHostChar(text.charCodeAt(end))) end += 1;
      const user = text.slice(start, at).replace(/^[.'-]+/, '');
      const host = text.slice(at + 1, end).replace(/[.-]+$/, '');
      if (user !== '' && host.includes('.') && end - start <= MAX_TOKEN) hits.push({ kind: 'address', value: `${user}@${host}`, scheme: null, offset: start });
    } else if (found.startsWith('sip') || found === 'h323:' || found === 'tel:') {
      // Only a URI scheme at a word start ("gossip:" is not one).
      if (at > 0 && isAlnum(text.charCodeAt(at - 1))) continue;
      end = extendRight(text, end);
      const value = trimTrailing(text.slice(at + found.length, end));
      if (end - at <= MAX_TOKEN && value !== '') {
        if (found === 'tel:') hits.push({ kind: 'tel', value, scheme: null, offset: at });
        else hits.push({ kind: 'address', value, scheme: found.slice(0, -1) as 'sip' | 'sips' | 'h323', offset: at });
      }
    } else if (found.startsWith('+')) {
      const phone = readPhone(text, at);
      end = phone.end;
      if (phone.digits.length >= 7 && phone.digits.length <= 15) {
        hits.push({ kind: 'phone', value: `+${phone.digits}`, scheme: null, offset: at, ...(phone.pin === '' ? {} : { pin: phone.pin }) });
      }
    } else {
      // `www.` or a bare known host: take the host labels before it too (us06web.zoom.us/j/…).
      let start = at;
      while (start > floor && isHostChar(text.charCodeAt(start - 1))) start -= 1;
      const before = start > 0 ? text.charCodeAt(start - 1) : 0;
      end = extendRight(text, at);
      // Part of something else (an address or a path): not a link of its own.
      if (before === 64 || before === 47 || end - start > MAX_TOKEN) {
        re.lastIndex = Math.max(end, at + 1);
        floor = re.lastIndex;
        continue;
      }
      hits.push({ kind: 'link', value: `https://${trimTrailing(text.slice(start, end))}`, scheme: null, offset: start });
    }
    re.lastIndex = Math.max(end, at + 1);
    floor = re.lastIndex;
  }
  return hits;
}

/** `+1 (415) 555-0134,,445566#` → digits, and what is dialled after a pause. */
function readPhone(text: string, at: number): { digits: string; pin: string; end: number } {
  let end = at + 1;
  let digits = '';
  let lastDigitEnd = end;
  while (end < text.length && end - at < 40) {
    const code = text.charCodeAt(end);
    if (isDigit(code)) {
      digits += text[end];
      lastDigitEnd = end + 1;
    } else if (!(code === 32 || code === 45 || code === 46 || code === 40 || code === 41 || code === 0xa0)) break;
    end += 1;
  }
  let pin = '';
  end = lastDigitEnd;
  if (text[end] === ',') {
    let p = end;
    while (p < text.length && p - end < 64 && /[0-9,#*]/.test(text[p]!)) p += 1;
    pin = text.slice(end, p);
    end = p;
  }
  return { digits, pin, end };
}
