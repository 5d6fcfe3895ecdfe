/**
 * Keyword intents in a Location: `@webex` and `@meet`, optionally with a modifier (`:myroom`,
 * `:space`, `:onetime`), any case, spaces allowed around the colon, anywhere among other text or
 * several `;`-joined locations. `@meet` that is part of an address (`bob@meet.example.org`) is not a
 * keyword: the `@` must start a word and the keyword must end one.
 */
export type IntentKeyword = 'WEBEX' | 'MEET';
export type IntentModifier = 'NONE' | 'MYROOM' | 'SPACE' | 'ONETIME' | 'OTHER';

export interface KeywordIntentResult {
  readonly keyword: IntentKeyword;
  readonly modifier: IntentModifier;
  /** The keyword as written (`@Meet : space`). */
  readonly text: string;
}

const MODIFIERS: Record<string, IntentModifier> = { myroom: 'MYROOM', space: 'SPACE', onetime: 'ONETIME' };
const isWordChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9._%+-]/.test(c);
const isSpace = (c: string | undefined): boolean => c !== undefined && (c === ' ' || c === '\t' || c === '\u00a0');

export function findKeywordIntent(location: string): KeywordIntentResult | null {
  let at = location.indexOf('@');
  while (at >= 0) {
    const next = location.indexOf('@', at + 1);
    if (!isWordChar(location[at - 1])) {
      const lower = location.slice(at + 1, at + 7).toLowerCase();
      const keyword: IntentKeyword | null = lower.startsWith('webex') ? 'WEBEX' : lower.startsWith('meet') ? 'MEET' : null;
      if (keyword !== null) {
        let end = at + 1 + (keyword === 'WEBEX' ? 5 : 4);
        if (!isWordChar(location[end]) || (location[end] === '.' && !/[A-Za-z0-9]/.test(location[end + 1] ?? ''))) {
          let modifier: IntentModifier = 'NONE';
          let p = end;
          while (isSpace(location[p])) p += 1;
          if (location[p] === ':') {
            p += 1;
            while (isSpace(location[p])) p += 1;
            let q = p;
            while (q < location.length && q - p < 32 && /[A-Za-z]/.test(location[q]!)) q += 1;
            if (q > p) {
              modifier = MODIFIERS[location.slice(p, q).toLowerCase()] ?? 'OTHER';
              end = q;
            }
          }
          return { keyword, modifier, text: location.slice(at, end) };
        }
      }
    }
    at = next;
  }
  return null;
}
