/**
 * What a generated meeting says and where: subjects, HTML (Outlook or Graph shaped) and text bodies
 * with join information, and locations (plain, keyword, provider, Teams). Bodies are concatenations
 * of interned fragments and short parameters.
 */
import type { GraphLocation, ItemBody } from '../model.js';
import { AGENDA_LINES, LOCALES, PLAIN_LOCATIONS, SUBJECTS, SUBJECTS_LOCAL } from './catalog.js';
import { JOIN_KINDS, WRAPPER_KINDS } from './links.js';
import type { JoinInfo, JoinKind, WrapperKind } from './links.js';
import type { Rng } from './rng.js';

export const KEYWORD_LOCATIONS: readonly string[] = [
  '@webex', '@meet', '@webex:myroom', '@webex:space', '@meet:onetime', '@meet:myroom', '@webex:onetime', '@meet:space',
  '@Webex', '@MEET', 'Building 4, Room 2.17; @webex', '@meet (Cafeteria)',
];

export type Style = 'teamsOnline' | 'join' | 'keyword' | 'inPerson' | 'allDay' | 'bare';
export const STYLES: readonly Style[] = ['teamsOnline', 'join', 'keyword', 'inPerson', 'allDay', 'bare'];

// ---- Interned HTML fragments ---------------------------------------------------------------

const OUTLOOK_HEAD_A = '<html><head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n<meta name="Generator" content="Microsoft Word 15 (filtered medium)">\r\n<style><!--\r\n/* Font Definitions */\r\n@font-face\r\n\t{font-family:"Cambria Math";\r\n\tpanose-1:2 4 5 3 5 4 6 3 2 4;}\r\n@font-face\r\n\t{font-family:Aptos;}\r\n/* Style Definitions */\r\np.MsoNormal, li.MsoNormal, div.MsoNormal\r\n\t{margin:0cm;\r\n\tfont-size:12.0pt;\r\n\tfont-family:"Aptos",sans-serif;}\r\na:link, span.MsoHyperlink\r\n\t{mso-style-priority:99;\r\n\tcolor:#467886;\r\n\ttext-decoration:underline;}\r\n.MsoChpDefault\r\n\t{mso-style-type:export-only;\r\n\tfont-size:10.0pt;}\r\n@page WordSection1\r\n\t{size:612.0pt 792.0pt;\r\n\tmargin:72.0pt 72.0pt 72.0pt 72.0pt;}\r\ndiv.WordSection1\r\n\t{page:WordSection1;}\r\n--></style>\r\n</head>\r\n<body lang="';
const OUTLOOK_HEAD_B = '" link="#467886" vlink="#96607D" style="word-wrap:break-word">\r\n<div class="WordSection1">\r\n';
const OUTLOOK_TAIL = '</div>\r\n</body>\r\n</html>\r\n';
const GRAPH_HEAD = '<html><head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n</head>\r\n<body>\r\n';
const GRAPH_TAIL = '</body>\r\n</html>\r\n';
const P_OPEN = '<p class="MsoNormal">';
const P_CLOSE = '</p>\r\n';
const P_EMPTY = '<p class="MsoNormal">&nbsp;</p>\r\n';
const AGENDA_HTML = AGENDA_LINES.map((l) => P_OPEN + '• ' + l + P_CLOSE);
const AGENDA_TEXT = AGENDA_LINES.map((l) => '- ' + l + '\r\n');
const GREETING_HTML = new Map(LOCALES.map((l) => [l.locale, P_OPEN + l.greeting + P_CLOSE]));
const GREETING_TEXT = new Map(LOCALES.map((l) => [l.locale, l.greeting + '\r\n\r\n']));
const BODY_LANG = new Map(LOCALES.map((l) => [l.locale, l.locale.toUpperCase()]));
export const EMPTY_HTML_BODY: ItemBody = { contentType: 'html', content: GRAPH_HEAD + GRAPH_TAIL };
const EMPTY_TEXT_BODY: ItemBody = { contentType: 'text', content: '' };
export const TEAMS_LOCATION: GraphLocation = { displayName: 'Microsoft Teams Meeting', locationType: 'default' };
export const PLAIN_LOCATION_OBJECTS: readonly GraphLocation[] = PLAIN_LOCATIONS.map((displayName) => ({ displayName }));
export const KEYWORD_LOCATION_OBJECTS: readonly GraphLocation[] = KEYWORD_LOCATIONS.map((displayName) => ({ displayName }));

export function pickSubject(rng: Rng, locale: string): string {
  const local = SUBJECTS_LOCAL[locale];
  if (local !== undefined && rng.chance(0.35)) return rng.pick(local);
  return rng.pick(SUBJECTS);
}

export const BODY_SLOTS = 3;

/** A small integer naming a body variant (no string built per meeting). */
export function bodyKey(style: Style, kind: JoinKind | null, second: JoinKind | null, html: boolean, wrapper: WrapperKind | null, slot: number): number {
  const k = kind === null ? 0 : JOIN_KINDS.indexOf(kind) + 1;
  const s2 = second === null ? 0 : JOIN_KINDS.indexOf(second) + 1;
  const w = wrapper === null ? 0 : WRAPPER_KINDS.indexOf(wrapper) + 1;
  return ((((STYLES.indexOf(style) * 32 + k) * 32 + s2) * 2 + (html ? 1 : 0)) * 16 + w) * BODY_SLOTS + slot;
}

export const PROVIDER_LOCATIONS: Readonly<Record<JoinKind, GraphLocation>> = Object.fromEntries(
  JOIN_KINDS.map((k) => [k, { displayName: k.startsWith('zoom') ? 'Zoom Meeting' : k.startsWith('webex') ? 'Webex Meeting' : k === 'meet' ? 'Google Meet' : k.startsWith('teams') ? 'Microsoft Teams Meeting' : 'Online' }]),
) as Record<JoinKind, GraphLocation>;

/** HTML (Outlook or Graph shaped) or text body: greeting, agenda, canary, join blocks. */
export function composeBody(rng: Rng, style: Style, html: boolean, locale: string, join: JoinInfo | null, second: JoinInfo | null, canaryBody: string): ItemBody {
  if (style === 'bare' && canaryBody === '') return rng.chance(0.5) ? EMPTY_HTML_BODY : EMPTY_TEXT_BODY;
  const agendaA = rng.int(0, AGENDA_LINES.length - 1);
  const agendaB = (agendaA + 1 + rng.int(0, 3)) % AGENDA_LINES.length;
  const withAgenda = style !== 'allDay' && rng.chance(0.6);
  if (html) {
    const outlook = rng.chance(0.7);
    let content = outlook ? OUTLOOK_HEAD_A + (BODY_LANG.get(locale) ?? 'EN-US') + OUTLOOK_HEAD_B : GRAPH_HEAD;
    if (withAgenda) content += (GREETING_HTML.get(locale) ?? '') + (AGENDA_HTML[agendaA] as string) + (AGENDA_HTML[agendaB] as string) + P_EMPTY;
    if (canaryBody !== '') content += P_OPEN + canaryBody + P_CLOSE;
    if (second !== null) content += P_OPEN + 'Backup link if the first one does not work:' + P_CLOSE + second.html;
    if (join !== null) content += join.html;
    content += outlook ? OUTLOOK_TAIL : GRAPH_TAIL;
    return { contentType: 'html', content };
  }
  let content = withAgenda ? (GREETING_TEXT.get(locale) ?? '') + (AGENDA_TEXT[agendaA] as string) + (AGENDA_TEXT[agendaB] as string) + '\r\n' : '';
  if (canaryBody !== '') content += canaryBody + '\r\n';
  if (join !== null) content += join.text;
  if (second !== null) content += '\r\nBackup: ' + second.text;
  return { contentType: 'text', content };
}
