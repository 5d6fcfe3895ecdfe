import { Tokenizer } from 'htmlparser2';

/**
 * A body split into what its reader sees: visible text (entities decoded, markup gone, a line
 * break at every block element) and the links behind anchors, each marked as part of the message
 * itself or of a quoted / forwarded message under it.
 *
 * HTML goes through htmlparser2's tokenizer (never regular expressions over markup), so malformed
 * markup, unclosed tags and stray bytes only change what text is seen, never crash the parse.
 */
export interface TextChunk {
  readonly text: string;
  readonly quoted: boolean;
  /** Offset of the chunk in the whole visible text (orders candidates by position). */
  readonly offset: number;
}

export interface LinkRef {
  readonly url: string;
  readonly quoted: boolean;
  readonly offset: number;
}

export interface Segmented {
  readonly chunks: readonly TextChunk[];
  readonly links: readonly LinkRef[];
}

const BLOCK = new Set([
  'address', 'article', 'aside', 'blockquote', 'br', 'dd', 'div', 'dl', 'dt', 'fieldset', 'figcaption', 'figure', 'footer', 'form',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'li', 'main', 'nav', 'ol', 'p', 'pre', 'section', 'table', 'tbody', 'thead',
  'tfoot', 'tr', 'ul', 'center',
]);
const CELL = new Set(['td', 'th']);
const HIDDEN = new Set(['script', 'style', 'title', 'template', 'noscript', 'xml', 'svg', 'object']);
const KEPT_ATTRIBUTES = new Set(['href', 'id', 'class', 'type']);
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr']);

/** Elements whose content is a quoted or forwarded message (Gmail, Apple Mail, Thunderbird, Yahoo, generic). */
function quotesContent(name: string, attribs: Record<string, string>): boolean {
  if (name === 'blockquote') return true;
  const cls = ` ${(attribs.class ?? '').toLowerCase()} `;
  return cls.includes(' gmail_quote ') || cls.includes(' gmail_quote_container ') || cls.includes(' yahoo_quoted ') || cls.includes(' protonmail_quote ');
}

/** Elements after which everything is the earlier message (Outlook's reply / forward header). */
function startsQuotedTail(attribs: Record<string, string>): boolean {
  const id = (attribs.id ?? '').toLowerCase();
  const cls = ` ${(attribs.class ?? '').toLowerCase()} `;
  return id === 'divrplyfwdmsg' || id === 'appendonsend' || id === 'x_divrplyfwdmsg' || cls.includes(' outlookmessageheader ') || cls.includes(' moz-cite-prefix ') || id === 'mail-editor-reference-message-container';
}

const fromCodePoint = (codepoint: number): string => (codepoint >= 0 && codepoint <= 0x10ffff ? String.fromCodePoint(codepoint) : '\ufffd');

interface Piece {
  text: string;
  quoted: boolean;
}

/**
 * Visible text and anchor links of an HTML body, with element-level quoting. Built on htmlparser2's
 * Tokenizer (a linear state machine) rather than its Parser, whose open-element stack costs
 * O(depth) per tag (a million unclosed tags would take minutes): open elements are tracked here
 * with a per-name count, so a close tag without an open element costs O(1) and every pop is paid
 * for by its push.
 */
function fromHtml(html: string): { pieces: Piece[]; links: { url: string; quoted: boolean; at: number }[] } {
  const pieces: Piece[] = [];
  const links: { url: string; quoted: boolean; at: number }[] = [];
  const stack: { name: string; quotes: boolean; hides: boolean }[] = [];
  const openCount = new Map<string, number>();
  let quoteDepth = 0;
  let hideDepth = 0;
  let tail = false;
  let buffer: string[] = [];
  let bufferQuoted = false;
  let length = 0;
  let tagName = '';
  let attribs: Record<string, string> = {};
  let attribName = '';
  let attribValue: string[] = [];
  const quotedNow = (): boolean => tail || quoteDepth > 0;
  const flush = (): void => {
    if (buffer.length > 0) pieces.push({ text: buffer.join(''), quoted: bufferQuoted });
    buffer = [];
  };
  const emit = (text: string): void => {
    const quoted = quotedNow();
    if (quoted !== bufferQuoted) {
      flush();
      bufferQuoted = quoted;
    }
    buffer.push(text);
    length += text.length;
  };
  const pop = (): void => {
    const top = stack.pop();
    if (top === undefined) return;
    openCount.set(top.name, (openCount.get(top.name) ?? 1) - 1);
    if (top.quotes) quoteDepth -= 1;
    if (top.hides) hideDepth -= 1;
    if (BLOCK.has(top.name)) emit('\n');
  };
  const openTag = (): void => {
    const name = tagName;
    if (startsQuotedTail(attribs)) tail = true;
    const quotes = quotesContent(name, attribs);
    const hides = HIDDEN.has(name);
    if (BLOCK.has(name)) emit('\n');
    else if (CELL.has(name)) emit(' ');
    const href = attribs.href;
    if ((name === 'a' || name === 'area') && href !== undefined && href !== '') links.push({ url: href, quoted: quotedNow() || quotes, at: length });
    if (VOID.has(name)) return;
    stack.push({ name, quotes, hides });
    openCount.set(name, (openCount.get(name) ?? 0) + 1);
    if (quotes) quoteDepth += 1;
    if (hides) hideDepth += 1;
  };
  const tokenizer = new Tokenizer(
    { decodeEntities: true },
    {
      onopentagname(start, end) {
        tagName = html.slice(start, end).toLowerCase();
        attribs = {};
      },
      onattribname(start, end) {
        attribName = html.slice(start, end).toLowerCase();
        attribValue = [];
      },
      onattribdata(start, end) {
        attribValue.push(html.slice(start, end));
      },
      onattribentity(codepoint) {
        attribValue.push(fromCodePoint(codepoint));
      },
      onattribend() {
        if (KEPT_ATTRIBUTES.has(attribName) && !(attribName in attribs)) attribs[attribName] = attribValue.join('');
        attribValue = [];
      },
      onopentagend() {
        openTag();
      },
      onselfclosingtag() {
        openTag();
      },
      onclosetag(start, end) {
        const name = html.slice(start, end).toLowerCase();
        if (VOID.has(name)) {
          if (name === 'br') emit('\n');
          return;
        }
        // Close the innermost open element of that name (and whatever was left open inside it).
        if ((openCount.get(name) ?? 0) <= 0) return;
        while (stack.length > 0 && stack[stack.length - 1]!.name !== name) pop();
        pop();
      },
      ontext(start, end) {
        if (hideDepth === 0) emit(html.slice(start, end));
      },
      ontextentity(codepoint) {
        if (hideDepth === 0) emit(fromCodePoint(codepoint));
      },
      oncdata() {},
      oncomment() {},
      ondeclaration() {},
      onprocessinginstruction() {},
      onend() {},
    },
  );
  tokenizer.write(html);
  tokenizer.end();
  flush();
  return { pieces, links };
}

const FORWARD_MARKERS = [
  '-----original message-----',
  '-----ursprüngliche nachricht-----',
  '-----message d\'origine-----',
  '-----mensaje original-----',
  '-----messaggio originale-----',
  '-----oorspronkelijk bericht-----',
  '-----opprinnelig melding-----',
  '-----ursprungligt meddelande-----',
  '-----mensagem original-----',
  '---------- forwarded message',
  '---------- weitergeleitete nachricht',
  '---------- message transféré',
  '---------- mensaje reenviado',
  '---------- messaggio inoltrato',
  '---------- doorgestuurd bericht',
  'begin forwarded message:',
  'anfang der weitergeleiteten nachricht:',
  'début du message réexpédié :',
  'inicio del mensaje reenviado:',
];
const FROM_LINE = /^(?:from|von|de|da|van|från|fra|od|от)\s?:/i;
const SENT_LINE = /^(?:sent|gesendet|envoyé|enviado|inviato|verzonden|skickat|sendt|date|datum|fecha|data|verstuurd)\s?:/i;
const WROTE_LINE = /(?:wrote|schrieb|a écrit|escribió|ha scritto|schreef|skrev|escreveu)\s?:$/i;

function isForwardMarker(line: string): boolean {
  const lower = line.toLowerCase();
  for (const marker of FORWARD_MARKERS) if (lower.startsWith(marker)) return true;
  return false;
}

/**
 * Splits pieces into line chunks and applies the textual quote markers: `>`-prefixed lines (plain
 * text), "-----Original Message-----" and its translations, forwarded-message headers, a
 * "From: / Sent:" header pair and "On … wrote:". After a marker, the rest is quoted.
 */
function applyMarkers(pieces: readonly Piece[], plainText: boolean): { chunks: TextChunk[]; tailAt: number } {
  const chunks: TextChunk[] = [];
  let tailAt = Number.POSITIVE_INFINITY;
  let offset = 0;
  let current: string[] = [];
  let currentQuoted = false;
  let currentOffset = 0;
  let pendingFrom = -1;
  const push = (line: string, quoted: boolean, at: number): void => {
    if (quoted !== currentQuoted && current.length > 0) {
      chunks.push({ text: current.join('\n'), quoted: currentQuoted, offset: currentOffset });
      current = [];
    }
    if (current.length === 0) {
      currentQuoted = quoted;
      currentOffset = at;
    }
    current.push(line);
  };
  for (const piece of pieces) {
    let start = 0;
    const text = piece.text;
    while (start <= text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const line = text.slice(start, end);
      const at = offset + start;
      const trimmed = line.length > 200 ? line.slice(0, 200).trim() : line.trim();
      if (tailAt === Number.POSITIVE_INFINITY && !piece.quoted && trimmed !== '') {
        if (isForwardMarker(trimmed) || (trimmed.length < 200 && trimmed.startsWith('On ') && WROTE_LINE.test(trimmed))) tailAt = at;
        else if (pendingFrom >= 0 && SENT_LINE.test(trimmed)) tailAt = pendingFrom;
        pendingFrom = FROM_LINE.test(trimmed) ? at : -1;
      }
      const quoted = piece.quoted || at >= tailAt || (plainText && trimmed.startsWith('>'));
      push(line, quoted, at);
      start = end + 1;
    }
    offset += text.length;
  }
  if (current.length > 0) chunks.push({ text: current.join('\n'), quoted: currentQuoted, offset: currentOffset });
  return { chunks, tailAt };
}

/** HTML body → chunks and links. */
export function segmentHtml(html: string): Segmented {
  const { pieces, links } = fromHtml(html);
  const { chunks, tailAt } = applyMarkers(pieces, false);
  return { chunks, links: links.map((link) => ({ url: link.url, quoted: link.quoted || link.at >= tailAt, offset: link.at })) };
}

/** Plain text body (or a Location) → chunks (links are found in the text itself). */
export function segmentText(text: string): Segmented {
  return { chunks: applyMarkers([{ text, quoted: false }], true).chunks, links: [] };
}
