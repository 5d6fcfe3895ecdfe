/**
 * Tenants and their directory: verified domains, users (some unlicensed), room mailboxes and
 * devices, each with mailbox settings (language, Windows or IANA time zone, automatic replies).
 */
import type { AutomaticRepliesSetting, CloudName, ScenarioMailbox, ScenarioTenant } from '../model.js';
import { INITIAL_DOMAIN_SUFFIX, LOCALES, LOCALE_WEIGHTS, ORGS, ROOM_NAME_SHAPES, ROOM_SITES } from './catalog.js';
import { isoLocal, localDayOf } from './civil.js';
import { Rng, deriveSeed } from './rng.js';

/** One mailbox of a scenario tenant, as the activity driver and tests need it. */
export interface ScenarioPerson {
  id: string;
  kind: 'user' | 'room';
  displayName: string;
  mail: string;
  mailboxEnabled: boolean;
  /** Time zone name as in mailbox settings (Windows or IANA). */
  timeZone: string;
  /** IANA equivalent of `timeZone`. */
  iana: string;
  locale: string;
  /** Automatic-replies status the scenario starts with. */
  automaticReplies: AutomaticRepliesSetting['status'];
  /** Rooms only: the room strips bodies (Exchange DeleteComments). */
  deleteComments?: boolean;
  /** Rooms only: the room replaces subjects by the organiser's name (AddOrganizerToSubject). */
  addOrganizerToSubject?: boolean;
}

export interface ScenarioDevice {
  id: string;
  /** Shared-mode devices belong to a room mailbox, personal-mode devices to a user. */
  mode: 'shared' | 'personal';
  mailboxId: string;
  model: string;
}

export interface ScenarioTenantSummary {
  id: string;
  displayName: string;
  cloud: CloudName;
  domains: string[];
  /** Mailbox ids of users (licensed or not). */
  users: string[];
  /** Mailbox ids of rooms. */
  rooms: string[];
  /** Mailbox ids whose mailbox is not enabled (no Exchange Online licence). */
  unlicensed: string[];
  people: ScenarioPerson[];
  devices: ScenarioDevice[];
  /** Short label used in provider hosts (contoso.webex.com, contoso.zoom.us). */
  site: string;
}

export interface DirectoryOptions {
  seed: number;
  tenantIndex: number;
  usersPerTenant: number;
  roomsPerTenant: number;
  cloud: CloudName;
  anchorMs: number;
}

const DEVICE_MODELS = ['Cisco Room Kit Pro', 'Cisco Board Pro 75', 'Cisco Desk Pro', 'Cisco Room Bar', 'Poly Studio X50', 'Logitech Rally Bar'];
const PERSONAL_MODELS = ['Cisco Desk Mini', 'Cisco Desk Pro', 'Cisco Desk'];

/** Lowercase ASCII handle of a name part (ü -> u, é -> e, spaces dropped; apostrophes kept). */
export function asciiHandle(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/ß/g, 'ss').toLowerCase().replace(/[^a-z0-9']/g, '');
}

function automaticReplies(rng: Rng, status: AutomaticRepliesSetting['status'], message: string, anchorMs: number, zoneName: string, iana: string): AutomaticRepliesSetting {
  const base: AutomaticRepliesSetting = {
    status,
    externalAudience: rng.pick(['none', 'contactsOnly', 'all'] as const),
    internalReplyMessage: '<html>\n<body>\n<div>' + message + '</div>\n</body>\n</html>\n',
    externalReplyMessage: status === 'disabled' ? '' : '<html>\n<body>\n<div>' + message + '</div>\n</body>\n</html>\n',
  };
  if (status !== 'scheduled') return base;
  // Windows around the anchor: active now, starting soon, ended recently, or far ahead.
  const shape = rng.int(0, 3);
  const anchorDay = localDayOf(anchorMs, iana);
  const startDay = shape === 0 ? anchorDay - rng.int(0, 3) : shape === 1 ? anchorDay + rng.int(0, 2) : shape === 2 ? anchorDay - rng.int(6, 10) : anchorDay + rng.int(10, 40);
  const endDay = startDay + rng.int(1, 14);
  const startMin = rng.pick([0, 8 * 60, 17 * 60, 12 * 60 + 30]);
  const endMin = rng.pick([0, 9 * 60, 18 * 60]);
  return {
    ...base,
    scheduledStartDateTime: { dateTime: isoLocal(startDay, startMin), timeZone: zoneName },
    scheduledEndDateTime: { dateTime: isoLocal(shape === 2 ? Math.min(endDay, anchorDay - 1) : endDay, endMin), timeZone: zoneName },
  };
}

const REPLY_STATUSES = ['disabled', 'alwaysEnabled', 'scheduled'] as const;

export interface GeneratedDirectory {
  tenant: ScenarioTenant;
  mailboxes: ScenarioMailbox[];
  summary: ScenarioTenantSummary;
}

/** Builds one tenant's directory, deterministically from (seed, tenantIndex). */
export function generateDirectory(options: DirectoryOptions): GeneratedDirectory {
  const rng = new Rng(deriveSeed(options.seed, 1, options.tenantIndex));
  const org = ORGS[options.tenantIndex % ORGS.length] as (typeof ORGS)[number];
  const round = Math.floor(options.tenantIndex / ORGS.length);
  const slug = round === 0 ? org.slug : `${org.slug}${round + 1}`;
  const displayName = round === 0 ? org.name : `${org.name} ${round + 1}`;
  const defaultDomain = `${slug}.${org.tld}`;
  const initialDomain = `${slug.replace(/[^a-z0-9]/g, '')}.${INITIAL_DOMAIN_SUFFIX[options.cloud]}`;
  const domains: ScenarioTenant['domains'] = [
    { id: defaultDomain, isDefault: true, isInitial: false },
    { id: initialDomain, isDefault: false, isInitial: true },
  ];
  const secondaryDomain = rng.chance(0.5) ? `${slug}-europe.com` : null;
  if (secondaryDomain !== null) domains.push({ id: secondaryDomain, isDefault: false, isInitial: false });
  const tenant: ScenarioTenant = { id: rng.guid(), displayName, cloud: options.cloud, domains };

  const mailboxes: ScenarioMailbox[] = [];
  const people: ScenarioPerson[] = [];
  const devices: ScenarioDevice[] = [];
  const used = new Set<string>();

  for (let u = 0; u < options.usersPerTenant; u += 1) {
    const loc = rng.weighted(LOCALES, LOCALE_WEIGHTS);
    const first = rng.pick(loc.first);
    const last = rng.pick(loc.last);
    const zone = rng.pick(loc.zones);
    const useIana = rng.chance(0.25);
    const zoneName = useIana ? zone[1] : zone[0];
    let local = `${asciiHandle(first)}.${asciiHandle(last)}`;
    if (used.has(local)) local = `${local}${u}`;
    used.add(local);
    const domain = secondaryDomain !== null && loc.locale !== 'en-US' && rng.chance(0.3) ? secondaryDomain : defaultDomain;
    const mail = `${local}@${domain}`;
    // ~3 % unlicensed; the second user of a tenant of four or more always is, the first never.
    const unlicensedDraw = rng.chance(0.03);
    const enabled = u === 0 ? true : u === 1 && options.usersPerTenant >= 4 ? false : !unlicensedDraw;
    const status = u < 3 ? REPLY_STATUSES[u % 3] ?? 'disabled' : rng.weighted(REPLY_STATUSES, [80, 7, 13]);
    const person: ScenarioPerson = {
      id: rng.guid(), kind: 'user', displayName: `${first} ${last}`, mail, mailboxEnabled: enabled,
      timeZone: zoneName, iana: zone[1], locale: loc.locale, automaticReplies: status,
    };
    people.push(person);
    mailboxes.push({
      id: person.id,
      userPrincipalName: mail,
      displayName: person.displayName,
      mail,
      kind: 'user',
      mailboxEnabled: enabled,
      mailboxSettings: {
        automaticRepliesSetting: automaticReplies(rng, status, loc.ooo, options.anchorMs, zoneName, zone[1]),
        language: { locale: loc.locale, displayName: loc.displayName },
        timeZone: zoneName,
      },
    });
    if (enabled && rng.chance(0.05)) devices.push({ id: rng.guid(), mode: 'personal', mailboxId: person.id, model: rng.pick(PERSONAL_MODELS) });
  }

  for (let r = 0; r < options.roomsPerTenant; r += 1) {
    const site = ROOM_SITES[(r + options.tenantIndex) % ROOM_SITES.length] as (typeof ROOM_SITES)[number];
    const name = site.names[Math.floor(r / ROOM_SITES.length) % site.names.length] as string;
    const floor = 1 + ((r * 7) % 12);
    const cap = rng.pick([4, 6, 8, 10, 12, 16, 20, 40]);
    const shape = ROOM_NAME_SHAPES[r % ROOM_NAME_SHAPES.length] as (typeof ROOM_NAME_SHAPES)[number];
    const roomName = shape(site.code, floor, name, cap) + (r >= ROOM_SITES.length * site.names.length ? ` #${r}` : '');
    const local = `rm-${site.code.toLowerCase()}-${floor}-${asciiHandle(name)}${r >= ROOM_SITES.length ? `-${r}` : ''}`;
    const mail = `${local}@${defaultDomain}`;
    const useIana = rng.chance(0.2);
    const zoneName = useIana ? site.zone[1] : site.zone[0];
    const person: ScenarioPerson = {
      id: rng.guid(), kind: 'room', displayName: roomName, mail, mailboxEnabled: true, timeZone: zoneName, iana: site.zone[1],
      locale: 'en-US', automaticReplies: 'disabled', deleteComments: r % 9 === 4, addOrganizerToSubject: r % 11 === 7,
    };
    people.push(person);
    mailboxes.push({
      id: person.id,
      userPrincipalName: mail,
      displayName: roomName,
      mail,
      kind: 'room',
      mailboxEnabled: true,
      mailboxSettings: {
        automaticRepliesSetting: { status: 'disabled', externalAudience: 'none', internalReplyMessage: '', externalReplyMessage: '' },
        language: { locale: 'en-US', displayName: 'English (United States)' },
        timeZone: zoneName,
      },
    });
    if (rng.chance(0.85)) devices.push({ id: rng.guid(), mode: 'shared', mailboxId: person.id, model: rng.pick(DEVICE_MODELS) });
  }

  const summary: ScenarioTenantSummary = {
    id: tenant.id,
    displayName,
    cloud: options.cloud,
    domains: domains.map((d) => d.id),
    users: people.filter((p) => p.kind === 'user').map((p) => p.id),
    rooms: people.filter((p) => p.kind === 'room').map((p) => p.id),
    unlicensed: people.filter((p) => !p.mailboxEnabled).map((p) => p.id),
    people,
    devices,
    site: slug.replace(/[^a-z0-9]/g, ''),
  };
  return { tenant, mailboxes, summary };
}
