import type { ProviderKind } from '../../schemas/index.js';
import { findKeywordIntent, type IntentKeyword, type IntentModifier } from './intent.js';
import { endsWithDomain, matchLink, matchSipDomain, registrableDomain } from './match.js';
import type { OrgRule, ParseOptions } from './options.js';
import { scanText, type Hit } from './scan.js';
import { segmentHtml, segmentText, type Segmented, type TextChunk } from './segment.js';
import { unwrapUrl, type Rewriter, type Unresolved } from './unwrap.js';

/** Where a candidate was found, from most to least authoritative. */
export type FoundIn = 'onlineMeeting' | 'location' | 'body';
export type Via = 'rule' | 'catalogue' | 'fallback';

export interface JoinCandidate {
  /** Catalogue id, `sip` for the SIP/H.323 fallback, or `rule:<name>`. */
  readonly service: string;
  readonly serviceName: string;
  readonly provider: ProviderKind;
  readonly joinUrl: string | null;
  readonly sipUri: string | null;
  readonly meetingNumber: string | null;
  readonly foundIn: FoundIn;
  /** Inside a quoted or forwarded message. */
  readonly quoted: boolean;
  readonly via: Via;
  readonly rule: string | null;
  /** Link rewriters removed to reach the address. */
  readonly unwrappedFrom: readonly Rewriter[];
}

export interface DialIn {
  /** `+` and digits. */
  readonly number: string;
  /** What is dialled after the number (`,,518306142#`), when printed. */
  readonly pin: string | null;
  readonly foundIn: FoundIn;
  readonly quoted: boolean;
}

export interface ParseResult {
  readonly provider: ProviderKind;
  readonly service: string | null;
  readonly serviceName: string | null;
  readonly joinUrl: string | null;
  readonly sipUri: string | null;
  readonly meetingNumber: string | null;
  readonly passcode: string | null;
  /** Where the chosen join details come from; `rule` when an org rule built them. */
  readonly foundIn: FoundIn | 'rule' | null;
  readonly quoted: boolean;
  readonly rule: string | null;
  readonly unwrappedFrom: readonly Rewriter[];
  readonly intent: { readonly keyword: IntentKeyword; readonly modifier: IntentModifier } | null;
  /** Why these join details were chosen over the alternatives (no addresses in it). */
  readonly reason: string;
  /** Join details of other services or meetings found in the invitation, best first. */
  readonly alternatives: readonly JoinCandidate[];
  readonly dialIns: readonly DialIn[];
  /** Rewritten links that could not be unwrapped (reported, never guessed). */
  readonly unresolved: readonly (Unresolved & { readonly foundIn: FoundIn })[];
}

const SOURCE_RANK: Record<FoundIn, number> = { onlineMeeting: 0, location: 1, body: 2 };
const MAX_ALTERNATIVES = 20;
const MAX_DIAL_INS = 50;
/** Links, addresses and numbers looked at per source: real invitations hold tens; hostile ones get the first. */
const MAX_HITS_PER_REGION = 5000;

interface Candidate extends JoinCandidate {
  readonly offset: number;
  readonly ruleIndex: number;
  readonly tier: number;
  /** Conference alias without a domain (Pexip `/webapp/m/<alias>`), paired with a printed address. */
  readonly alias: string | null;
  readonly chunk: TextChunk | null;
}

interface Region {
  readonly foundIn: FoundIn;
  readonly segmented: Segmented;
}

interface Collected {
  readonly candidates: Candidate[];
  readonly dialIns: DialIn[];
  readonly unresolved: (Unresolved & { foundIn: FoundIn })[];
  /** Bare `user@host` addresses that are neither a catalogue nor a numeric video address. */
  readonly addresses: { value: string; foundIn: FoundIn; quoted: boolean }[];
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const obj = (value: unknown): Record<string, unknown> | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;

/** Locations as the user typed them: `location`, every `locations[]` entry, URIs; duplicates once. */
function locationTexts(event: Record<string, unknown>): string[] {
  const texts: string[] = [];
  const add = (location: unknown): void => {
    const loc = obj(location);
    for (const value of [str(loc?.displayName), str(loc?.locationUri)]) if (value !== null && value !== '' && !texts.includes(value)) texts.push(value);
  };
  add(event.location);
  if (Array.isArray(event.locations)) for (const location of event.locations.slice(0, 50)) add(location);
  return texts;
}

const looksLikeHtml = (text: string): boolean => /<(?:html|body|div|p|br|span|a|table|meta|!doctype)[\s/>]/i.test(text.slice(0, 4096));

function regions(event: Record<string, unknown>): Region[] {
  const out: Region[] = [];
  const online = obj(event.onlineMeeting);
  const links = [str(online?.joinUrl), str(event.onlineMeetingUrl)].filter((link): link is string => link !== null && link !== '');
  if (links.length > 0) out.push({ foundIn: 'onlineMeeting', segmented: { chunks: [], links: links.map((url, i) => ({ url, quoted: false, offset: i })) } });
  const locations = locationTexts(event);
  if (locations.length > 0) out.push({ foundIn: 'location', segmented: { chunks: [{ text: locations.join('\n'), quoted: false, offset: 0 }], links: [] } });
  const body = obj(event.body);
  const content = str(body?.content);
  if (content !== null && content !== '') {
    const type = str(body?.contentType)?.toLowerCase();
    const html = type === 'html' || (type !== 'text' && looksLikeHtml(content));
    out.push({ foundIn: 'body', segmented: html ? segmentHtml(content) : segmentText(content) });
  }
  return out;
}

const isNumericUser = (user: string): boolean => /^\+?[0-9]{3,20}$/.test(user);

function splitAddress(value: string): { user: string; host: string } {
  const at = value.lastIndexOf('@');
  if (at < 0) return { user: '', host: value };
  const host = value.slice(at + 1).split(/[;?:>]/)[0] ?? '';
  return { user: value.slice(0, at), host: host.toLowerCase() };
}

function base(foundIn: FoundIn, quoted: boolean, offset: number, chunk: TextChunk | null): Pick<Candidate, 'foundIn' | 'quoted' | 'offset' | 'ruleIndex' | 'rule' | 'alias' | 'chunk'> {
  return { foundIn, quoted, offset, ruleIndex: Number.MAX_SAFE_INTEGER, rule: null, alias: null, chunk };
}

function classifyAddress(value: string, scheme: Hit['scheme'], where: Pick<Candidate, 'foundIn' | 'quoted' | 'offset'>, chunk: TextChunk | null, out: Collected, rewriters: readonly Rewriter[] = []): void {
  const clean = value.split(/[;?]/)[0]!.replace(/^\/\//, '');
  const { user, host } = splitAddress(clean);
  if (host === '') return;
  const sipUri = scheme === 'sips' || scheme === 'h323' ? `${scheme}:${clean}` : clean;
  const entry = user === '' ? null : matchSipDomain(host);
  const common = { ...base(where.foundIn, where.quoted, where.offset, chunk), joinUrl: null, sipUri, unwrappedFrom: rewriters };
  if (entry !== null) {
    const digits = user.replace(/[^0-9]/g, '');
    out.candidates.push({
      ...common,
      service: entry.id,
      serviceName: entry.name,
      provider: entry.provider,
      meetingNumber: /^[0-9]{9,14}$/.test(user) ? digits : null,
      via: 'catalogue',
      tier: 1,
    });
  } else if (scheme !== null || isNumericUser(user)) {
    out.candidates.push({ ...common, service: 'sip', serviceName: 'SIP/H.323 address', provider: 'SIP', meetingNumber: null, via: 'fallback', tier: 2 });
  } else {
    out.addresses.push({ value: clean, foundIn: where.foundIn, quoted: where.quoted });
  }
}

function addDialIn(number: string, pin: string | null, foundIn: FoundIn, quoted: boolean, out: Collected): void {
  const digits = number.replace(/[^0-9]/g, '');
  if (digits.length < 7 || digits.length > 15 || out.dialIns.length >= MAX_DIAL_INS) return;
  const normalized = `+${digits}`;
  if (out.dialIns.some((dialIn) => dialIn.number === normalized)) return;
  out.dialIns.push({ number: normalized, pin: pin === null || pin === '' ? null : pin, foundIn, quoted });
}

function classifyLink(link: string, where: Pick<Candidate, 'foundIn' | 'quoted' | 'offset'>, chunk: TextChunk | null, out: Collected): void {
  const unwrapped = unwrapUrl(link.trim());
  if (unwrapped.unresolved !== null) {
    if (!out.unresolved.some((u) => u.url === unwrapped.unresolved!.url)) out.unresolved.push({ ...unwrapped.unresolved, foundIn: where.foundIn });
    return;
  }
  const target = unwrapped.url;
  const scheme = /^(sips?|h323|tel):/i.exec(target)?.[1]?.toLowerCase();
  if (scheme === 'tel') {
    const [number, ...rest] = decodeSafe(target.slice(4)).split(',');
    addDialIn(number ?? '', rest.length > 0 ? `,${rest.join(',')}` : null, where.foundIn, where.quoted, out);
    return;
  }
  if (scheme !== undefined) {
    classifyAddress(decodeSafe(target.slice(scheme.length + 1)), scheme as Hit['scheme'], where, chunk, out, unwrapped.rewriters);
    return;
  }
  const match = matchLink(target);
  if (match === null) return;
  out.candidates.push({
    ...base(where.foundIn, where.quoted, where.offset, chunk),
    service: match.entry.id,
    serviceName: match.entry.name,
    provider: match.entry.provider,
    joinUrl: match.joinUrl,
    sipUri: match.sipUri,
    meetingNumber: match.meetingNumber,
    via: 'catalogue',
    tier: 0,
    alias: match.alias,
    unwrappedFrom: unwrapped.rewriters,
  });
}

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const VTC_LABELS = [
  'video conference id',
  'videokonferenz-id',
  'id de la vidéoconférence',
  'id de conférence vidéo',
  'id. de videoconferencia',
  'id de videoconferencia',
  'id della videoconferenza',
  'videoconferentie-id',
  'id da videoconferência',
  'videokonferanse-id',
  'videokonferens-id',
  'vtc conference id',
];

/** Teams "join with a video conferencing device": gateway address + VTC conference id → a dial string. */
function findVtc(chunk: TextChunk, foundIn: FoundIn, out: Collected): void {
  const lower = chunk.text.toLowerCase();
  for (const label of VTC_LABELS) {
    const at = lower.indexOf(label);
    if (at < 0) continue;
    const id = /^[^0-9\n]{0,12}([0-9][0-9 ]{6,16}[0-9])/.exec(chunk.text.slice(at + label.length, at + label.length + 40))?.[1]?.replace(/ /g, '');
    if (id === undefined) continue;
    const window = chunk.text.slice(Math.max(0, at - 400), at);
    const hits = scanText(window).filter((hit) => hit.kind === 'address');
    const gateway = hits[hits.length - 1]?.value;
    if (gateway === undefined) continue;
    const { user, host } = splitAddress(gateway);
    const sipUri = endsWithDomain(host, 'm.webex.com') ? `${id}.${user}@${host}` : endsWithDomain(host, 't.plcm.vc') ? `${user}.${id}@${host}` : `${id}@${host}`;
    out.candidates.push({
      ...base(foundIn, chunk.quoted, chunk.offset + at, chunk),
      service: 'teams',
      serviceName: 'Microsoft Teams (video device gateway)',
      provider: 'TEAMS',
      joinUrl: null,
      sipUri,
      meetingNumber: null,
      via: 'catalogue',
      tier: 1,
      unwrappedFrom: [],
    });
    // The gateway's own address is part of this, not a video address of its own.
    for (let i = out.candidates.length - 2; i >= 0; i -= 1) if (out.candidates[i]!.sipUri === gateway) out.candidates.splice(i, 1);
    return;
  }
}

function collect(all: readonly Region[]): Collected {
  const out: Collected = { candidates: [], dialIns: [], unresolved: [], addresses: [] };
  // A link repeated in the same place (anchor text and href, a footer on every page) adds nothing
  // after its first occurrence; skipping it spares a URL parse per repeat.
  const seen = new Set<string>();
  const firstTime = (foundIn: FoundIn, quoted: boolean, value: string): boolean => {
    const key = `${foundIn}|${String(quoted)}|${value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  for (const region of all) {
    const { foundIn, segmented } = region;
    let budget = MAX_HITS_PER_REGION;
    for (const chunk of segmented.chunks) {
      if (budget <= 0) break;
      const hits = scanText(chunk.text).slice(0, budget);
      budget -= hits.length;
      for (const hit of hits) {
        const where = { foundIn, quoted: chunk.quoted, offset: chunk.offset + hit.offset };
        if (hit.kind === 'link') {
          if (firstTime(foundIn, chunk.quoted, hit.value)) classifyLink(hit.value, where, chunk, out);
        } else if (hit.kind === 'address' && !firstTime(foundIn, chunk.quoted, `${hit.scheme ?? ''}:${hit.value}`)) continue;
        else if (hit.kind === 'address') classifyAddress(hit.value, hit.scheme, where, chunk, out);
        else if (hit.kind === 'tel') {
          const [number, ...rest] = hit.value.split(',');
          addDialIn(number ?? '', rest.length > 0 ? `,${rest.join(',')}` : null, foundIn, chunk.quoted, out);
        } else addDialIn(hit.value, hit.pin ?? null, foundIn, chunk.quoted, out);
      }
      findVtc(chunk, foundIn, out);
    }
    // Links and chunks are both in text order: one forward walk pairs each link with its chunk.
    let chunkIndex = 0;
    for (const link of segmented.links.slice(0, MAX_HITS_PER_REGION)) {
      while (chunkIndex + 1 < segmented.chunks.length && segmented.chunks[chunkIndex + 1]!.offset <= link.offset) chunkIndex += 1;
      const chunk = segmented.chunks[chunkIndex] ?? null;
      if (firstTime(foundIn, link.quoted, link.url)) classifyLink(link.url, { foundIn, quoted: link.quoted, offset: link.offset }, chunk, out);
    }
  }
  return out;
}

function fillTemplate(template: string, match: RegExpExecArray): string {
  return template.replace(/\{([A-Za-z0-9_]{1,32})(?::(digits|lower|upper|nospace))?\}/g, (_all, key: string, filter: string | undefined) => {
    const value = (/^[0-9]$/.test(key) ? match[Number(key)] : match.groups?.[key]) ?? '';
    switch (filter) {
      case 'digits':
        return value.replace(/[^0-9]/g, '');
      case 'lower':
        return value.toLowerCase();
      case 'upper':
        return value.toUpperCase();
      case 'nospace':
        return value.replace(/\s/g, '');
      default:
        return value;
    }
  });
}

function organizerIsInternal(event: Record<string, unknown>, options: ParseOptions): boolean {
  const address = str(obj(obj(event.organizer)?.emailAddress)?.address);
  const domain = address === null ? null : address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  return domain !== null && domain !== '' && options.internalDomains.some((internal) => endsWithDomain(domain, internal.toLowerCase()));
}

/** Org rules, in order: the first match of each rule (in source rank order) is a candidate. */
function applyRules(rules: readonly OrgRule[], internal: boolean, all: readonly Region[], collected: Collected): void {
  rules.forEach((rule, ruleIndex) => {
    if (rule.scope === 'internal' && !internal) return;
    const re = new RegExp(rule.pattern, rule.flags.replace(/[gy]/g, ''));
    const inputs: { text: string; foundIn: FoundIn; quoted: boolean; offset: number; chunk: TextChunk | null }[] = [];
    for (const region of all) {
      for (const link of region.segmented.links) inputs.push({ text: unwrapUrl(link.url).url, foundIn: region.foundIn, quoted: link.quoted, offset: link.offset, chunk: null });
      for (const chunk of region.segmented.chunks) inputs.push({ text: chunk.text, foundIn: region.foundIn, quoted: chunk.quoted, offset: chunk.offset, chunk });
    }
    inputs.sort((a, b) => SOURCE_RANK[a.foundIn] - SOURCE_RANK[b.foundIn] || Number(a.quoted) - Number(b.quoted) || a.offset - b.offset);
    for (const input of inputs) {
      const match = re.exec(input.text);
      if (match === null) continue;
      const value = fillTemplate(rule.template, match).trim();
      if (value === '') continue;
      const isLink = /^https?:\/\//i.test(value);
      collected.candidates.push({
        ...base(input.foundIn, input.quoted, input.offset + match.index, input.chunk),
        service: `rule:${rule.name}`,
        serviceName: `org rule ${rule.name}`,
        provider: rule.provider,
        joinUrl: isLink ? value : null,
        sipUri: isLink ? null : value.replace(/^sip:/i, ''),
        meetingNumber: null,
        via: 'rule',
        rule: rule.name,
        ruleIndex,
        tier: 0,
        unwrappedFrom: [],
      });
      return;
    }
  });
}

function compareCandidates(a: Candidate, b: Candidate): number {
  return (
    Number(a.via !== 'rule') - Number(b.via !== 'rule') ||
    a.ruleIndex - b.ruleIndex ||
    SOURCE_RANK[a.foundIn] - SOURCE_RANK[b.foundIn] ||
    Number(a.quoted) - Number(b.quoted) ||
    a.tier - b.tier ||
    a.offset - b.offset
  );
}

const MEETING_NUMBER_LABELS = [
  'meeting number',
  'meeting id',
  'meeting-id',
  'access code',
  'numero riunione',
  'numéro de réunion',
  'numéro de la réunion',
  'id de réunion',
  'id de la réunion',
  'besprechungs-id',
  'meeting-kennnummer',
  'número de reunión',
  'id de reunión',
  'id de la reunión',
  'id da reunião',
  'número da reunião',
  'vergadering-id',
  'call id',
];
const PASSCODE_LABELS = ['passcode', 'password', 'kennung', 'kenncode', 'code secret', 'mot de passe', 'contraseña', 'código de acceso', 'senha', 'wachtwoord', 'toegangscode', 'password riunione'];

function firstLabelled(text: string, labels: readonly string[], read: (after: string) => string | null): string | null {
  const lower = text.toLowerCase();
  let best: { at: number; value: string } | null = null;
  for (const label of labels) {
    let at = lower.indexOf(label);
    // Several occurrences: the first one that is followed by a value.
    for (let tries = 0; at >= 0 && tries < 3 && (best === null || at < best.at); tries += 1) {
      const value = read(text.slice(at + label.length, at + label.length + 64));
      if (value !== null) {
        best = { at, value };
        break;
      }
      at = lower.indexOf(label, at + 1);
    }
  }
  return best?.value ?? null;
}

const readNumber = (after: string): string | null => {
  const m = /^[^0-9\n]{0,30}([0-9][0-9 -]{4,22}[0-9])/.exec(after);
  const digits = m?.[1]?.replace(/[^0-9]/g, '');
  return digits !== undefined && digits.length >= 6 && digits.length <= 16 ? digits : null;
};
const readPasscode = (after: string): string | null => /^[^\S\n]{0,3}(?:\([^)\n]{0,30}\))?[^\S\n]{0,3}[:：][^\S\n]{0,3}([^\s<>]{1,32})/.exec(after)?.[1] ?? null;

function describe(c: Pick<JoinCandidate, 'serviceName' | 'foundIn' | 'quoted' | 'joinUrl' | 'via'>): string {
  const what = c.joinUrl !== null ? 'join link' : 'video address';
  const where = c.foundIn === 'onlineMeeting' ? "the event's online meeting fields" : c.foundIn === 'location' ? 'the Location' : 'the body';
  return `${c.serviceName} ${what} in ${where}${c.quoted ? ' (inside a quoted or forwarded message)' : ''}`;
}

function whyBetter(winner: Candidate, other: Candidate): string {
  if (winner.via === 'rule' && other.via !== 'rule') return 'org rules come before the catalogue';
  if (winner.via === 'rule') return 'an earlier org rule comes first';
  if (SOURCE_RANK[winner.foundIn] < SOURCE_RANK[other.foundIn]) return winner.foundIn === 'onlineMeeting' ? "the event's online meeting fields rank above the Location and the body" : 'the Location ranks above the body';
  if (!winner.quoted && other.quoted) return 'the message itself ranks above a quoted or forwarded one';
  if (winner.tier < other.tier) return winner.via === 'fallback' ? 'a link ranks above a bare address' : 'a known service ranks above a bare SIP/H.323 address';
  return 'it comes first';
}

const INTENT_NONE = null;

/**
 * Graph event (as Graph returns it; any shape is accepted, odd fields are ignored) → the keyword
 * intent and the join details, with the reason and the alternatives. Pure and total: never
 * throws on input, linear in its length.
 */
export function parseEvent(graphEvent: unknown, options: ParseOptions = { rules: [], internalDomains: [] }): ParseResult {
  const event = obj(graphEvent) ?? {};
  const locations = locationTexts(event);
  let intent: ParseResult['intent'] = INTENT_NONE;
  for (const text of locations) {
    const found = findKeywordIntent(text);
    if (found !== null) {
      intent = { keyword: found.keyword, modifier: found.modifier };
      break;
    }
  }
  const all = regions(event);
  const collected = collect(all);
  const online = obj(event.onlineMeeting);
  for (const phone of Array.isArray(online?.phones) ? online.phones.slice(0, 20) : []) {
    const number = str(obj(phone)?.number);
    if (number !== null) addDialIn(number, null, 'onlineMeeting', false, collected);
  }
  const toll = str(online?.tollNumber);
  if (toll !== null) addDialIn(toll, null, 'onlineMeeting', false, collected);
  if (options.rules.length > 0) applyRules(options.rules, organizerIsInternal(event, options), all, collected);

  const sorted = [...collected.candidates].sort(compareCandidates);
  const winner = sorted[0];
  const none: ParseResult = {
    provider: 'NONE',
    service: null,
    serviceName: null,
    joinUrl: null,
    sipUri: null,
    meetingNumber: null,
    passcode: null,
    foundIn: null,
    quoted: false,
    rule: null,
    unwrappedFrom: [],
    intent,
    reason:
      collected.unresolved.length > 0
        ? `No join details found; ${collected.unresolved.length} rewritten link(s) (${[...new Set(collected.unresolved.map((u) => u.rewriter))].join(', ')}) could not be unwrapped and were not guessed.`
        : intent !== null
          ? 'No join details found; the Location holds a keyword intent.'
          : 'No join details found in the online meeting fields, the Location or the body.',
    alternatives: [],
    dialIns: collected.dialIns,
    unresolved: collected.unresolved,
  };
  if (winner === undefined) return none;

  // The group: the winner and what completes it (same service; for a rule, the same provider).
  const sameGroup = (c: Candidate): boolean =>
    c === winner ||
    (winner.via === 'rule' ? c.via === 'catalogue' && winner.provider !== 'SIP' && c.provider === winner.provider : c.via !== 'rule' && c.service === winner.service && c.quoted === winner.quoted);
  const group = sorted.filter(sameGroup);
  const pick = <K extends 'joinUrl' | 'sipUri' | 'meetingNumber'>(key: K): string | null => {
    for (const c of group) if (c[key] !== null) return c[key];
    return null;
  };
  const joinUrl = pick('joinUrl');
  let sipUri = pick('sipUri');
  // Same-service candidates of another meeting (a second Zoom link) stay alternatives.
  const used = new Set<Candidate>(group.filter((c) => (c.joinUrl === null || c.joinUrl === joinUrl) && (c.sipUri === null || c.sipUri === sipUri)));
  if (sipUri === null && joinUrl !== null && winner.via !== 'fallback') {
    // A numeric video address (or the link's conference alias) on the link's own domain belongs to it.
    let linkHost = '';
    try {
      linkHost = new URL(joinUrl).hostname;
    } catch {
      linkHost = '';
    }
    const domain = registrableDomain(linkHost);
    const aliases = new Set(group.map((c) => c.alias?.toLowerCase()).filter((a): a is string => a !== undefined));
    const paired =
      sorted.find((c) => c.via === 'fallback' && c.foundIn === winner.foundIn && c.quoted === winner.quoted && c.sipUri !== null && registrableDomain(splitAddress(c.sipUri).host) === domain) ??
      null;
    if (paired !== null) {
      sipUri = paired.sipUri;
      used.add(paired);
    } else {
      const address = collected.addresses.find((a) => aliases.has(splitAddress(a.value).user.toLowerCase()));
      if (address !== undefined) sipUri = address.value;
    }
  }
  const chunkTexts = (all.find((r) => r.foundIn === winner.foundIn)?.segmented.chunks ?? []).filter((c) => c.quoted === winner.quoted).map((c) => c.text);
  const labelText = chunkTexts.join('\n');
  const catalogued = group.find((c) => c.via === 'catalogue');
  const meetingNumber = pick('meetingNumber') ?? (catalogued !== undefined ? firstLabelled(labelText, MEETING_NUMBER_LABELS, readNumber) : null);
  const passcode = catalogued !== undefined && catalogued.service !== 'google-meet' ? firstLabelled(labelText, PASSCODE_LABELS, readPasscode) : null;

  const seen = new Set<string>([`${joinUrl ?? ''}|${sipUri ?? ''}`]);
  if (joinUrl !== null) seen.add(`j|${joinUrl}`);
  if (sipUri !== null) seen.add(`s|${sipUri}`);
  const alternatives: JoinCandidate[] = [];
  for (const c of sorted) {
    if (used.has(c) || alternatives.length >= MAX_ALTERNATIVES) continue;
    const keys = [c.joinUrl === null ? null : `j|${c.joinUrl}`, c.sipUri === null ? null : `s|${c.sipUri}`].filter((k): k is string => k !== null);
    if (keys.every((k) => seen.has(k))) continue;
    for (const k of keys) seen.add(k);
    alternatives.push(publicCandidate(c));
  }

  const service = winner.via === 'rule' ? (catalogued?.service ?? winner.service) : winner.service;
  const serviceName = winner.via === 'rule' ? (catalogued?.serviceName ?? winner.serviceName) : winner.serviceName;
  const first = sorted.find((c) => !used.has(c));
  const reason = [
    winner.via === 'rule' ? `Org rule "${winner.rule ?? ''}" matched: ${describe(winner)}` : `Chosen: ${describe(winner)}`,
    winner.unwrappedFrom.length > 0 ? `unwrapped from ${winner.unwrappedFrom.join(' → ')}` : null,
    first !== undefined ? `preferred over ${describe(first)} because ${whyBetter(winner, first)}` : null,
    alternatives.length > 1 ? `${alternatives.length} alternatives listed` : null,
    collected.unresolved.length > 0 ? `${collected.unresolved.length} rewritten link(s) could not be unwrapped` : null,
  ]
    .filter((part): part is string => part !== null)
    .join('; ');
  return {
    provider: winner.provider === 'SIP' && catalogued !== undefined ? catalogued.provider : winner.provider,
    service,
    serviceName,
    joinUrl,
    sipUri,
    meetingNumber,
    passcode,
    foundIn: winner.via === 'rule' ? 'rule' : winner.foundIn,
    quoted: winner.quoted,
    rule: winner.rule,
    unwrappedFrom: winner.unwrappedFrom,
    intent,
    reason: `${reason}.`,
    alternatives,
    dialIns: collected.dialIns,
    unresolved: collected.unresolved,
  };
}

function publicCandidate(c: Candidate): JoinCandidate {
  return {
    service: c.service,
    serviceName: c.serviceName,
    provider: c.provider,
    joinUrl: c.joinUrl,
    sipUri: c.sipUri,
    meetingNumber: c.meetingNumber,
    foundIn: c.foundIn,
    quoted: c.quoted,
    via: c.via,
    rule: c.rule,
    unwrappedFrom: c.unwrappedFrom,
  };
}

