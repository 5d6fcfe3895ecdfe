import type { JoinTexts } from './locales.js';
import type { IssuedJoinDetails } from './provider.js';
import type { JoinBlockText } from './settings.js';

/**
 * The join block: rendered in HTML and text, delimited by markers so it can be found, replaced and
 * removed without touching a byte of the user's text around it.
 *
 * - HTML bodies: `<!--hycal:join:begin-->…<!--hycal:join:end-->`, inserted before `</body>` (the
 *   last one) or appended; removal takes exactly that range out.
 * - Text bodies: a blank line, then `-- hycal:join:begin --` … `-- hycal:join:end --`, appended;
 *   removal takes the range and the one blank line (`\n\n`) we put before it, if it is still there.
 * Text that itself contains a marker string is not user text we can tell apart (documented).
 */
export const HTML_BEGIN = '<!--hycal:join:begin-->';
export const HTML_END = '<!--hycal:join:end-->';
export const TEXT_BEGIN = '-- hycal:join:begin --';
export const TEXT_END = '-- hycal:join:end --';
const TEXT_GAP = '\n\n';

export type BodyType = 'html' | 'text';

export interface BlockInput {
  readonly details: IssuedJoinDetails;
  readonly texts: JoinTexts;
  readonly headerFooter: JoinBlockText;
  readonly language: string;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function escLines(s: string): string {
  return esc(s).replace(/\r?\n/g, '<br>');
}

function title(input: BlockInput): string {
  const t = input.texts;
  return input.details.kind === 'personal-room' ? t.titlePersonalRoom : input.details.kind === 'space' ? t.titleSpace : t.titleOneTime;
}

/** The block's inner HTML (between the markers). */
export function renderHtml(input: BlockInput): string {
  const d = input.details;
  const t = input.texts;
  const rows: string[] = [];
  if (input.headerFooter.header !== '') rows.push(`<p>${escLines(input.headerFooter.header)}</p>`);
  rows.push(`<p><a href="${esc(d.joinUrl)}">${esc(title(input))}</a></p>`);
  rows.push(`<p>${esc(t.joinLink)}: <a href="${esc(d.joinUrl)}">${esc(d.joinUrl)}</a><br>${esc(t.videoAddress)}: <a href="sip:${esc(d.sipAddress)}">${esc(d.sipAddress)}</a>`
    + (d.meetingNumber === null ? '' : `<br>${esc(t.meetingNumber)}: ${esc(d.meetingNumber)}`)
    + (d.dialIn === null ? '' : `<br>${esc(t.dialIn)}: ${esc(d.dialIn.number)}${d.dialIn.label === '' ? '' : ` (${esc(d.dialIn.label)})`}`) + '</p>');
  if (input.headerFooter.footer !== '') rows.push(`<p>${escLines(input.headerFooter.footer)}</p>`);
  return `<div id="hycal-join" lang="${esc(input.language)}"><hr><p><small>${esc(t.doNotEdit)}</small></p>${rows.join('')}<hr></div>`;
}

/** The block's inner text (between the markers). */
export function renderText(input: BlockInput): string {
  const d = input.details;
  const t = input.texts;
  const lines = [t.doNotEdit];
  if (input.headerFooter.header !== '') lines.push(input.headerFooter.header);
  lines.push(title(input), `${t.joinLink}: ${d.joinUrl}`, `${t.videoAddress}: ${d.sipAddress}`);
  if (d.meetingNumber !== null) lines.push(`${t.meetingNumber}: ${d.meetingNumber}`);
  if (d.dialIn !== null) lines.push(`${t.dialIn}: ${d.dialIn.number}${d.dialIn.label === '' ? '' : ` (${d.dialIn.label})`}`);
  if (input.headerFooter.footer !== '') lines.push(input.headerFooter.footer);
  return lines.join('\n');
}

/** The whole block as inserted (markers included) for a body type. */
export function renderBlock(type: BodyType, input: BlockInput): string {
  return type === 'html' ? `${HTML_BEGIN}${renderHtml(input)}${HTML_END}` : `${TEXT_BEGIN}\n${renderText(input)}\n${TEXT_END}`;
}

interface Range {
  readonly from: number;
  readonly to: number;
}

/** Every block in the body (begin marker through end marker), first to last. */
export function findBlocks(type: BodyType, body: string): Range[] {
  const [begin, end] = type === 'html' ? [HTML_BEGIN, HTML_END] : [TEXT_BEGIN, TEXT_END];
  const out: Range[] = [];
  let at = body.indexOf(begin);
  while (at >= 0) {
    const close = body.indexOf(end, at + begin.length);
    if (close < 0) break;
    let from = at;
    if (type === 'text' && body.slice(at - TEXT_GAP.length, at) === TEXT_GAP) from = at - TEXT_GAP.length;
    out.push({ from, to: close + end.length });
    at = body.indexOf(begin, close + end.length);
  }
  return out;
}

/** The body without any of our blocks (the user's text, byte for byte). */
export function removeBlocks(type: BodyType, body: string): string {
  let out = '';
  let last = 0;
  for (const r of findBlocks(type, body)) {
    out += body.slice(last, r.from);
    last = r.to;
  }
  return out + body.slice(last);
}

/** The body with exactly one block: an existing one replaced in place (extra copies removed), else inserted. */
export function upsertBlock(type: BodyType, body: string, block: string): string {
  const blocks = findBlocks(type, body);
  const first = blocks[0];
  if (first !== undefined) {
    const gap = type === 'text' ? (body.slice(first.from, first.from + TEXT_GAP.length) === TEXT_GAP && body.startsWith(TEXT_BEGIN, first.from + TEXT_GAP.length) ? TEXT_GAP : '') : '';
    const rest = removeBlocks(type, body.slice(first.to));
    return body.slice(0, first.from) + gap + block + rest;
  }
  if (type === 'text') return body + TEXT_GAP + block;
  const close = body.toLowerCase().lastIndexOf('</body>');
  return close < 0 ? body + block : body.slice(0, close) + block + body.slice(close);
}
