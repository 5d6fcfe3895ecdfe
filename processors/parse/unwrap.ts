/**
 * Link rewriters (mail security gateways) wrap every link of a message in a redirect through
 * their own host. Parse reports the address the user would land on, so each known wrapper is
 * unwrapped — repeatedly, because mail crossing two gateways is wrapped twice. A wrapper whose
 * target is opaque (Mimecast's `/s/<token>`) or damaged is reported as unresolved, never guessed.
 */

export type Rewriter =
  | 'safelinks'
  | 'proofpoint-v1'
  | 'proofpoint-v2'
  | 'proofpoint-v3'
  | 'mimecast'
  | 'barracuda'
  | 'cisco-secure-email'
  | 'google-redirect'
  | 'trend-micro'
  | 'sophos'
  | 'symantec';

export interface Unresolved {
  readonly rewriter: Rewriter;
  /** The rewritten link as found. */
  readonly url: string;
  /** The destination domain when the wrapper names it (Mimecast's `domain=`), for the reader only. */
  readonly domainHint: string | null;
}

export interface UnwrapResult {
  readonly url: string;
  /** Wrappers removed, outermost first. */
  readonly rewriters: readonly Rewriter[];
  readonly unresolved: Unresolved | null;
}

const MAX_LAYERS = 5;

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

const endsWithDomain = (host: string, domain: string): boolean => host === domain || host.endsWith(`.${domain}`);

function decodeOnce(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A wrapped target is sometimes encoded twice (`https%3A%2F%2F…`); a real target starts with a scheme. */
function asTarget(text: string | null): string | null {
  if (text === null) return null;
  let value = text.trim();
  if (/^https?%3a/i.test(value)) value = decodeOnce(value);
  return /^(?:https?:\/\/|sips?:|h323:|tel:|mailto:)/i.test(value) ? value : null;
}

// Proofpoint v3 run lengths: '**' followed by one of these letters stands for 2, 3, 4, ... bytes.
const V3_RUN = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** `https://urldefense.com/v3/__<url with * placeholders>__;<base64url bytes>!!<tenant>!<signature>$` */
function proofpointV3(raw: string): string | null {
  const start = raw.indexOf('/v3/__');
  if (start < 0) return null;
  const urlStart = start + 6;
  const urlEnd = raw.indexOf('__;', urlStart);
  if (urlEnd < 0) return null;
  const bytesEnd = raw.indexOf('!', urlEnd + 3);
  const encoded = raw.slice(urlEnd + 3, bytesEnd < 0 ? raw.length : bytesEnd);
  const template = decodeOnce(raw.slice(urlStart, urlEnd));
  // The replaced characters, in order, as UTF-8 text; index by code point.
  const replaced = Array.from(Buffer.from(encoded, 'base64url').toString('utf8'));
  let cursor = 0;
  let out = '';
  for (let i = 0; i < template.length; i += 1) {
    const c = template[i]!;
    if (c !== '*') {
      out += c;
      continue;
    }
    if (template[i + 1] === '*' && i + 2 < template.length) {
      const run = V3_RUN.indexOf(template[i + 2]!);
      if (run < 0) return null;
      const length = run + 2;
      if (cursor + length > replaced.length) return null;
      out += replaced.slice(cursor, cursor + length).join('');
      cursor += length;
      i += 2;
    } else {
      if (cursor >= replaced.length) return null;
      out += replaced[cursor]!;
      cursor += 1;
    }
  }
  return out;
}

/** `u=https-3A__example.com_path` : `-` stands for `%`, `_` for `/`. */
function proofpointV2(u: string | null): string | null {
  if (u === null) return null;
  return decodeOnce(u.replace(/-/g, '%').replace(/_/g, '/'));
}

/** Cisco Secure Email: `https://secure-web.cisco.com/<token>/<percent-encoded target>`. */
function ciscoSecureEmail(raw: string): string | null {
  const hostStart = raw.indexOf('//');
  const pathStart = hostStart < 0 ? -1 : raw.indexOf('/', hostStart + 2);
  const tokenEnd = pathStart < 0 ? -1 : raw.indexOf('/', pathStart + 1);
  return tokenEnd < 0 ? null : decodeOnce(raw.slice(tokenEnd + 1));
}

function sophos(u: string | null): string | null {
  if (u === null) return null;
  const decoded = Buffer.from(u, 'base64').toString('utf8');
  return /^https?:\/\//i.test(decoded) ? decoded : null;
}

interface Layer {
  readonly rewriter: Rewriter;
  /** The target, or null when the wrapper is recognised but its target cannot be recovered. */
  readonly target: string | null;
  readonly domainHint?: string | null;
}

function peel(raw: string, url: URL): Layer | null {
  const host = url.hostname.toLowerCase();
  const path = url.pathname;
  const param = (name: string): string | null => url.searchParams.get(name);
  if (endsWithDomain(host, 'safelinks.protection.outlook.com') || endsWithDomain(host, 'safelinks.protection.office365.us')) {
    return { rewriter: 'safelinks', target: asTarget(param('url')) };
  }
  if (host === 'statics.teams.cdn.office.net' && path.includes('safelinks')) return { rewriter: 'safelinks', target: asTarget(param('url')) };
  if (host === 'urldefense.proofpoint.com' || host === 'urldefense.com' || host === 'urldefense.us') {
    if (path.startsWith('/v3/')) return { rewriter: 'proofpoint-v3', target: asTarget(proofpointV3(raw)) };
    if (path.startsWith('/v2/')) return { rewriter: 'proofpoint-v2', target: asTarget(proofpointV2(param('u'))) };
    if (path.startsWith('/v1/')) return { rewriter: 'proofpoint-v1', target: asTarget(param('u')) };
    return { rewriter: 'proofpoint-v3', target: null };
  }
  if (endsWithDomain(host, 'mimecast.com') && /^protect[a-z0-9-]*\./.test(host)) return { rewriter: 'mimecast', target: null, domainHint: param('domain') };
  if (endsWithDomain(host, 'mimecastprotect.com')) return { rewriter: 'mimecast', target: null, domainHint: param('domain') };
  if (host === 'linkprotect.cudasvc.com') return { rewriter: 'barracuda', target: asTarget(param('a')) };
  if (host === 'secure-web.cisco.com') return { rewriter: 'cisco-secure-email', target: asTarget(ciscoSecureEmail(raw)) };
  if (/^(?:www\.)?google\.[a-z.]{2,12}$/.test(host) && path === '/url') return { rewriter: 'google-redirect', target: asTarget(param('q') ?? param('url')) };
  if (endsWithDomain(host, 'trendmicro.com') && path.includes('/clicktime/')) return { rewriter: 'trend-micro', target: asTarget(param('url')) };
  if (endsWithDomain(host, 'protection.sophos.com')) return { rewriter: 'sophos', target: asTarget(sophos(param('u'))) };
  if (host === 'clicktime.symantec.com') return { rewriter: 'symantec', target: asTarget(param('u')) };
  return null;
}

/** Removes every known wrapper from a link (at most five layers). */
export function unwrapUrl(link: string): UnwrapResult {
  let current = link.includes('&amp;') ? link.replace(/&amp;/g, '&') : link;
  const rewriters: Rewriter[] = [];
  for (let layer = 0; layer < MAX_LAYERS; layer += 1) {
    const url = parseUrl(current);
    if (url === null) break;
    const peeled = peel(current, url);
    if (peeled === null) break;
    if (peeled.target === null) {
      return { url: current, rewriters, unresolved: { rewriter: peeled.rewriter, url: current, domainHint: peeled.domainHint ?? null } };
    }
    rewriters.push(peeled.rewriter);
    current = peeled.target;
  }
  return { url: current, rewriters, unresolved: null };
}
