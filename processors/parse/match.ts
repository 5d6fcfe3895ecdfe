import { CATALOGUE, type CatalogueEntry } from './catalogue.js';

/** The catalogue compiled once: regexes built, specific hosts before any-host entries. */
interface Compiled {
  readonly entry: CatalogueEntry;
  readonly anyHost: boolean;
  readonly hosts: readonly string[];
  readonly notHosts: ReadonlySet<string>;
  readonly paths: readonly RegExp[] | null;
  readonly number: RegExp | null;
  readonly alias: RegExp | null;
  readonly videoAddress: { readonly path: RegExp; readonly template: string } | null;
}

const anchored = (source: string): RegExp => new RegExp(`^(?:${source})`, 'i');

const COMPILED: readonly Compiled[] = CATALOGUE.map((entry) => ({
  entry,
  anyHost: entry.hosts.includes('*'),
  hosts: entry.hosts.filter((host) => host !== '*'),
  notHosts: new Set(entry.notHosts ?? []),
  paths: entry.paths === undefined ? null : entry.paths.map(anchored),
  number: entry.number === undefined ? null : anchored(entry.number),
  alias: entry.alias === undefined ? null : anchored(entry.alias),
  videoAddress: entry.videoAddress === undefined ? null : { path: anchored(entry.videoAddress.path), template: entry.videoAddress.template },
}));

/** Paths that are never a join link, whatever the host (installers, help, sign-in). */
const NOT_JOIN_PATH = /^(?:install|download|downloads|help|support|features|pricing|signin|sign-in|login|privacy|terms|legal|u\/)(?:[/?#.]|$)/i;

export const endsWithDomain = (host: string, domain: string): boolean => host === domain || host.endsWith(`.${domain}`);

export function catalogueEntry(id: string): CatalogueEntry | undefined {
  return CATALOGUE.find((entry) => entry.id === id);
}

/** Literal host prefixes that invitations print without a scheme (`meet.google.com/abc-defg-hij`). */
export const BARE_PREFIXES: readonly string[] = CATALOGUE.flatMap((entry) => entry.bare ?? []);

export interface LinkMatch {
  readonly entry: CatalogueEntry;
  readonly joinUrl: string;
  readonly meetingNumber: string | null;
  /** A video address the link itself names (Pexip's conference alias, a Webex personal room). */
  readonly sipUri: string | null;
  /** A conference alias without a domain: the local part of a video address on the link's domain. */
  readonly alias: string | null;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function hostMatches(compiled: Compiled, host: string): boolean {
  if (compiled.notHosts.has(host)) return false;
  if (compiled.anyHost) return true;
  return compiled.hosts.some((domain) => endsWithDomain(host, domain));
}

/** A link (already unwrapped) → the catalogue service it joins, or null for any other link. */
export function matchLink(link: string): LinkMatch | null {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  const host = url.hostname.toLowerCase();
  const rest = `${url.pathname.slice(1)}${url.search}${url.hash}`;
  if (rest === '' || NOT_JOIN_PATH.test(rest)) return null;
  for (const pass of [false, true]) {
    for (const compiled of COMPILED) {
      if (compiled.anyHost !== pass) continue;
      if (pass && compiled.hosts.some((domain) => endsWithDomain(host, domain))) continue;
      if (!hostMatches(compiled, host)) continue;
      if (compiled.paths !== null && !compiled.paths.some((path) => path.test(rest))) continue;
      const entry = compiled.entry;
      const joinUrl = entry.dropQuery === true ? `${url.origin}${url.pathname}` : link;
      const number = compiled.number?.exec(rest)?.[1] ?? null;
      const aliasValue = compiled.alias?.exec(rest)?.[1];
      const alias = aliasValue === undefined ? null : decode(aliasValue).replace(/^sips?:/i, '');
      const video = compiled.videoAddress?.path.exec(rest)?.[1];
      const sipUri =
        alias !== null && alias.includes('@')
          ? alias
          : video === undefined || compiled.videoAddress === null
            ? null
            : compiled.videoAddress.template.replace('{1}', decode(video)).replace('{host}', host);
      return { entry, joinUrl, meetingNumber: number, sipUri, alias: alias !== null && !alias.includes('@') ? alias : null };
    }
  }
  return null;
}

/** A video address's domain → the catalogue service whose SIP domain it is. */
export function matchSipDomain(host: string): CatalogueEntry | null {
  const lower = host.toLowerCase();
  for (const { entry } of COMPILED) {
    if (entry.sipDomains === undefined) continue;
    if ((entry.notSipDomains ?? []).some((domain) => endsWithDomain(lower, domain))) continue;
    if (entry.sipDomains.some((domain) => endsWithDomain(lower, domain))) return entry;
  }
  return null;
}

/** The last two labels of a host (three under a two-letter country second level like co.uk). */
export function registrableDomain(host: string): string {
  const labels = host.toLowerCase().split('.');
  if (labels.length <= 2) return labels.join('.');
  const second = labels[labels.length - 2]!;
  const take = labels[labels.length - 1]!.length === 2 && ['co', 'com', 'ac', 'gov', 'org', 'net', 'ne', 'or'].includes(second) ? 3 : 2;
  return labels.slice(-take).join('.');
}
