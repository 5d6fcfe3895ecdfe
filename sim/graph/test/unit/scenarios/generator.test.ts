import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { RRule, type Options as RRuleOptions } from 'rrule';
import { findIana, findIanaAliases } from 'windows-iana';
import {
  CountingSink,
  GRAPH_MAX_ATTENDEES,
  KEYWORD_LOCATIONS,
  PATTERN_TYPES,
  ScenarioOptionsError,
  loadScenario,
  occurrenceDays,
} from '../../../scenarios/index.js';
import type { ScenarioOptions, ScenarioSummary } from '../../../scenarios/index.js';
import type { CloudName, GraphEventInput, PatternedRecurrence } from '../../../model.js';
import { RecordingSink } from './recording-sink.js';

const ANCHOR = Date.UTC(2026, 2, 20, 9, 0, 0); // Friday 2026-03-20, spans the US and EU DST changes
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const DAY = 86_400_000;

function run(options: Partial<ScenarioOptions> = {}): { sink: RecordingSink; summary: ScenarioSummary } {
  const sink = new RecordingSink();
  const summary = loadScenario(sink, { seed: 1234, usersPerTenant: 40, roomsPerTenant: 6, meetingsPerMailbox: 25, anchorMs: ANCHOR, ...options });
  return { sink, summary };
}

const base = run();
const events = base.sink.addedEvents();

function bodies(): string[] {
  return events.map((e) => e.event.body?.content ?? '');
}

function zoneToIana(zone: string): string {
  const map: Record<string, string> = {
    'Pacific Standard Time': 'America/Los_Angeles', 'Eastern Standard Time': 'America/New_York', 'Central Standard Time': 'America/Chicago',
    'Mountain Standard Time': 'America/Denver', 'GMT Standard Time': 'Europe/London', 'W. Europe Standard Time': 'Europe/Berlin',
    'Romance Standard Time': 'Europe/Paris', 'Tokyo Standard Time': 'Asia/Tokyo', 'E. South America Standard Time': 'America/Sao_Paulo',
    'India Standard Time': 'Asia/Kolkata', 'AUS Eastern Standard Time': 'Australia/Sydney', UTC: 'UTC',
  };
  return map[zone] ?? zone;
}

const RR_DAYS = [RRule.SU, RRule.MO, RRule.TU, RRule.WE, RRule.TH, RRule.FR, RRule.SA];
const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const INDEX = { first: 1, second: 2, third: 3, fourth: 4, last: -1 } as const;

/** Independent expansion of a Graph recurrence through RRULE, as civil dates 'yyyy-MM-dd'. */
function rruleDates(rec: PatternedRecurrence, until: string, max: number): string[] {
  const { pattern, range } = rec;
  const [y, m, d] = range.startDate.split('-').map(Number) as [number, number, number];
  const opts: Partial<RRuleOptions> = { dtstart: new Date(Date.UTC(y, m - 1, d)), interval: pattern.interval };
  const dows = (pattern.daysOfWeek ?? []).map((n) => RR_DAYS[DAY_NAMES.indexOf(n)]!);
  switch (pattern.type) {
    case 'daily': opts.freq = RRule.DAILY; break;
    case 'weekly':
      opts.freq = RRule.WEEKLY; opts.byweekday = dows; opts.wkst = RR_DAYS[DAY_NAMES.indexOf(pattern.firstDayOfWeek ?? 'sunday')]!;
      break;
    case 'absoluteMonthly': opts.freq = RRule.MONTHLY; opts.bymonthday = [pattern.dayOfMonth!]; break;
    case 'relativeMonthly': opts.freq = RRule.MONTHLY; opts.byweekday = dows.map((w) => w.nth(INDEX[pattern.index ?? 'first'])); break;
    case 'absoluteYearly': opts.freq = RRule.YEARLY; opts.bymonth = [pattern.month!]; opts.bymonthday = [pattern.dayOfMonth!]; break;
    case 'relativeYearly': opts.freq = RRule.YEARLY; opts.bymonth = [pattern.month!]; opts.byweekday = dows.map((w) => w.nth(INDEX[pattern.index ?? 'first'])); break;
  }
  if (range.type === 'numbered') opts.count = range.numberOfOccurrences!;
  const [uy, um, ud] = until.split('-').map(Number) as [number, number, number];
  let end = Date.UTC(uy, um - 1, ud);
  if (range.type === 'endDate') {
    const [ey, em, ed] = range.endDate!.split('-').map(Number) as [number, number, number];
    end = Math.min(end, Date.UTC(ey, em - 1, ed));
  }
  const rule = new RRule(opts);
  return rule.all((date, i) => i < max && date.getTime() <= end).map((x) => x.toISOString().slice(0, 10));
}

describe('scenario generator', () => {
  it('scenarios – the same seed yields byte-identical calls and another seed differs', () => {
    const again = run();
    expect(JSON.stringify(again.sink.calls)).toBe(JSON.stringify(base.sink.calls));
    expect(JSON.stringify(again.summary)).toBe(JSON.stringify(base.summary));
    const other = run({ seed: 1235 });
    expect(JSON.stringify(other.sink.calls)).not.toBe(JSON.stringify(base.sink.calls));
  });

  it('scenarios – a fresh process produces the same bytes for the same seed', async () => {
    const { spawnSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const { scenarioHash } = await import('./scenario-hash.js');
    const script = fileURLToPath(new URL('./scenario-hash.ts', import.meta.url));
    const child = spawnSync(process.execPath, ['--import', 'tsx', script, '77'], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe(scenarioHash(77));
  });

  it('scenarios – the directory stays the same when only the number of meetings changes', () => {
    const fewer = run({ meetingsPerMailbox: 3 });
    expect(JSON.stringify(fewer.summary.tenants)).toBe(JSON.stringify(base.summary.tenants));
  });

  it('scenarios – tenants have GUID ids, one default and one initial domain, and the clouds asked for', () => {
    const clouds: CloudName[] = ['worldwide', 'gcc', 'gccHigh', 'dod', 'china'];
    const { sink, summary } = run({ tenants: 6, usersPerTenant: 5, roomsPerTenant: 1, meetingsPerMailbox: 1, clouds });
    const tenants = [...sink.tenants.values()];
    expect(tenants.map((t) => t.cloud)).toEqual([...clouds, 'worldwide']);
    const suffix: Record<CloudName, RegExp> = {
      worldwide: /\.onmicrosoft\.com$/, gcc: /\.onmicrosoft\.com$/, gccHigh: /\.onmicrosoft\.us$/, dod: /\.onmicrosoft\.us$/, china: /\.partner\.onmschina\.cn$/,
    };
    for (const t of tenants) {
      expect(t.id).toMatch(GUID);
      expect(t.domains.filter((d) => d.isDefault)).toHaveLength(1);
      const initial = t.domains.filter((d) => d.isInitial);
      expect(initial).toHaveLength(1);
      expect(initial[0]!.id).toMatch(suffix[t.cloud]);
      expect(t.domains.find((d) => d.isDefault)!.isInitial).toBe(false);
    }
    const allDomains = tenants.flatMap((t) => t.domains.map((d) => d.id));
    expect(new Set(allDomains).size).toBe(allDomains.length); // users route to tenants by domain
    expect(new Set(tenants.map((t) => t.id)).size).toBe(6);
    expect(summary.tenants.map((t) => t.cloud)).toEqual([...clouds, 'worldwide']);
  });

  it('scenarios – rooms are room mailboxes named like conference rooms; unlicensed users exist and get no events', () => {
    const tenant = base.summary.tenants[0]!;
    const mailboxes = [...base.sink.mailboxes.get(tenant.id)!.values()];
    const rooms = mailboxes.filter((m) => m.kind === 'room');
    expect(rooms).toHaveLength(6);
    for (const r of rooms) {
      expect(r.displayName).toMatch(/\(\d+\)|\[\d+ seats/);
      expect(r.mail).toMatch(/^rm-[a-z0-9-]+@/);
      expect(tenant.rooms).toContain(r.id);
    }
    expect(mailboxes.filter((m) => m.kind === 'user')).toHaveLength(40);
    for (const m of mailboxes) expect(m.id).toMatch(GUID);
    expect(new Set(mailboxes.map((m) => m.mail)).size).toBe(mailboxes.length);
    const unlicensed = mailboxes.filter((m) => !m.mailboxEnabled);
    expect(unlicensed.length).toBeGreaterThan(0);
    expect(tenant.unlicensed).toEqual(unlicensed.map((m) => m.id));
    for (const u of unlicensed) expect(events.some((e) => e.mailboxId === u.id)).toBe(false);
    expect(mailboxes.some((m) => m.mail.includes("'"))).toBe(true); // apostrophes in addresses
    expect(tenant.devices.some((d) => d.mode === 'shared')).toBe(true);
  });

  it('scenarios – mailbox settings carry several locales, Windows and IANA zones, and every automatic-reply state', () => {
    const { sink, summary } = run({ usersPerTenant: 200, meetingsPerMailbox: 0 });
    const users = [...sink.mailboxes.values()].flatMap((m) => [...m.values()]).filter((m) => m.kind === 'user');
    const people = new Map(summary.tenants[0]!.people.map((p) => [p.id, p]));
    for (const u of users) expect(people.get(u.id)!.automaticReplies).toBe(u.mailboxSettings.automaticRepliesSetting!.status);
    const locales = new Set(users.map((u) => u.mailboxSettings.language?.locale));
    for (const l of ['en-US', 'de-DE', 'fr-FR', 'ja-JP', 'pt-BR']) expect(locales).toContain(l);
    const zones = users.map((u) => u.mailboxSettings.timeZone ?? '');
    expect(zones.some((z) => z.endsWith('Standard Time'))).toBe(true);
    expect(zones.some((z) => z.includes('/'))).toBe(true);
    const replies = users.map((u) => u.mailboxSettings.automaticRepliesSetting!);
    expect(new Set(replies.map((r) => r.status))).toEqual(new Set(['disabled', 'alwaysEnabled', 'scheduled']));
    const scheduled = replies.filter((r) => r.status === 'scheduled');
    let activeAtAnchor = 0;
    for (const r of scheduled) {
      const zone = zoneToIana(r.scheduledStartDateTime!.timeZone);
      const start = DateTime.fromISO(r.scheduledStartDateTime!.dateTime, { zone }).toMillis();
      const end = DateTime.fromISO(r.scheduledEndDateTime!.dateTime, { zone }).toMillis();
      expect(end).toBeGreaterThan(start);
      expect(Math.abs(start - ANCHOR)).toBeLessThan(60 * DAY);
      if (start <= ANCHOR && ANCHOR < end) activeAtAnchor += 1;
    }
    expect(activeAtAnchor).toBeGreaterThan(0);
    expect(scheduled.some((r) => DateTime.fromISO(r.scheduledStartDateTime!.dateTime).toMillis() > ANCHOR)).toBe(true);
  });

  it('scenarios – every Windows zone name used is a real Windows zone whose IANA zones include the one paired with it', () => {
    const { summary } = run({ usersPerTenant: 300, roomsPerTenant: 40, meetingsPerMailbox: 0 });
    const pairs = new Set(summary.tenants.flatMap((t) => t.people).map((p) => `${p.timeZone}|${p.iana}`));
    let windows = 0;
    for (const pair of pairs) {
      const [name, iana] = pair.split('|') as [string, string];
      if (name.includes('/') || name === 'UTC') {
        expect(name).toBe(iana);
        continue;
      }
      windows += 1;
      const candidates = findIana(name);
      expect(candidates.length, name).toBeGreaterThan(0);
      const aliases = new Set(candidates.flatMap((c) => [c, ...findIanaAliases(c)]));
      expect(aliases.has(iana as never), `${name} -> ${iana}`).toBe(true);
    }
    expect(windows).toBeGreaterThan(5);
  });

  it('scenarios – meetings spread from anchor−7d to anchor+31d with some outside, each ending after it starts', () => {
    let inside = 0;
    let outside = 0;
    for (const { event } of events) {
      if (event.recurrence) continue;
      const zone = zoneToIana(event.start!.timeZone);
      const start = DateTime.fromISO(event.start!.dateTime, { zone }).toMillis();
      const end = DateTime.fromISO(event.end!.dateTime, { zone }).toMillis();
      expect(end).toBeGreaterThan(start);
      expect(event.end!.timeZone).toBe(event.start!.timeZone);
      if (start >= ANCHOR - 8 * DAY && start <= ANCHOR + 33 * DAY) inside += 1;
      else outside += 1;
    }
    expect(outside).toBeGreaterThan(0);
    expect(inside / (inside + outside)).toBeGreaterThan(0.8);
  });

  it('scenarios – every Graph pattern and range type appears and each exception falls on an occurrence of its series', () => {
    const masters = new Map(events.filter((e) => e.event.recurrence).map((e) => [e.id, e.event]));
    const types = new Set([...masters.values()].map((e) => e.recurrence!.pattern.type));
    expect(types).toEqual(new Set(PATTERN_TYPES));
    expect(new Set([...masters.values()].map((e) => e.recurrence!.range.type))).toEqual(new Set(['noEnd', 'endDate', 'numbered']));
    for (const ev of masters.values()) {
      // Graph: the range starts on the series' start date, which is itself an occurrence.
      expect(ev.recurrence!.range.startDate).toBe(ev.start!.dateTime.slice(0, 10));
      expect(rruleDates(ev.recurrence!, ev.recurrence!.range.startDate, 1)).toEqual([ev.recurrence!.range.startDate]);
      expect(ev.recurrence!.range.recurrenceTimeZone).toBe(ev.start!.timeZone);
    }
    const exceptions = base.sink.calls.filter((c) => c.op === 'addOccurrenceException');
    expect(exceptions.some((c) => (c.change as { cancelled: boolean }).cancelled)).toBe(true);
    expect(exceptions.some((c) => !(c.change as { cancelled: boolean }).cancelled)).toBe(true);
    expect(base.summary.counts.exceptions).toBe(exceptions.length);
    expect(exceptions.some((c) => (c.change as { patch?: { start?: unknown } }).patch?.start !== undefined)).toBe(true);
    for (const c of exceptions) {
      const master = masters.get(c.seriesMasterId)!;
      expect(master).toBeDefined();
      const zone = zoneToIana(master.start!.timeZone);
      const local = DateTime.fromMillis(c.originalStartMs, { zone });
      expect(local.toFormat("HH:mm")).toBe(master.start!.dateTime.slice(11, 16));
      const dates = rruleDates(master.recurrence!, local.plus({ days: 1 }).toISODate()!, 2000);
      expect(dates).toContain(local.toISODate());
      // A moved occurrence stays on its day, so it never crosses a neighbour (ErrorOccurrenceCrossingBoundary).
      const patch = (c.change as { cancelled: boolean; patch?: { start?: { dateTime: string; timeZone: string }; end?: { dateTime: string } } }).patch;
      if (patch?.start !== undefined) {
        expect(patch.start.dateTime.slice(0, 10)).toBe(local.toISODate());
        expect(patch.end!.dateTime.slice(0, 10)).toBe(local.toISODate());
        expect(patch.start.timeZone).toBe(master.start!.timeZone);
      }
    }
  });

  it('scenarios – occurrence expansion agrees with an RRULE implementation for random series', () => {
    const arb = fc.record({
      type: fc.constantFrom(...PATTERN_TYPES),
      interval: fc.integer({ min: 1, max: 4 }),
      startDay: fc.integer({ min: 20_000, max: 21_000 }),
      extraDays: fc.subarray([0, 1, 2, 3, 4, 5, 6]),
      fdow: fc.constantFrom('sunday', 'monday'),
      range: fc.constantFrom('noEnd', 'endDate', 'numbered'),
      count: fc.integer({ min: 1, max: 30 }),
      endAfter: fc.integer({ min: 0, max: 900 }),
      lastIndex: fc.boolean(),
    });
    fc.assert(fc.property(arb, (a) => {
      const date = new Date(a.startDay * DAY);
      const dow = date.getUTCDay();
      let startDay = a.startDay;
      if ((a.type === 'absoluteMonthly' || a.type === 'absoluteYearly') && date.getUTCDate() > 28) startDay -= date.getUTCDate() - 28;
      const sd = new Date(startDay * DAY);
      const sdow = sd.getUTCDay();
      const nth = Math.floor((sd.getUTCDate() - 1) / 7);
      const daysInMonth = new Date(Date.UTC(sd.getUTCFullYear(), sd.getUTCMonth() + 1, 0)).getUTCDate();
      const isLast = sd.getUTCDate() + 7 > daysInMonth;
      const index = nth >= 4 || (isLast && a.lastIndex) ? 'last' : (['first', 'second', 'third', 'fourth'] as const)[nth]!;
      const iso = sd.toISOString().slice(0, 10);
      const rec: PatternedRecurrence = {
        pattern: { type: a.type, interval: a.type.endsWith('Yearly') ? 1 : a.interval },
        range: { type: a.range, startDate: iso },
      };
      if (a.type === 'weekly') {
        rec.pattern.daysOfWeek = [...new Set([sdow, ...a.extraDays])].map((d) => DAY_NAMES[d]! as never);
        rec.pattern.firstDayOfWeek = a.fdow;
      }
      if (a.type === 'absoluteMonthly' || a.type === 'absoluteYearly') rec.pattern.dayOfMonth = sd.getUTCDate();
      if (a.type === 'relativeMonthly' || a.type === 'relativeYearly') { rec.pattern.daysOfWeek = [DAY_NAMES[sdow] as never]; rec.pattern.index = index; }
      if (a.type.endsWith('Yearly')) rec.pattern.month = sd.getUTCMonth() + 1;
      if (a.range === 'numbered') rec.range.numberOfOccurrences = a.count;
      if (a.range === 'endDate') rec.range.endDate = new Date((startDay + a.endAfter) * DAY).toISOString().slice(0, 10);
      void dow;
      const until = startDay + 1200;
      const ours = occurrenceDays({ pattern: rec.pattern, range: rec.range, startDay }, until, 60).map((d) => new Date(d * DAY).toISOString().slice(0, 10));
      const theirs = rruleDates(rec, new Date(until * DAY).toISOString().slice(0, 10), 60);
      expect(ours).toEqual(theirs);
      expect(ours[0]).toBe(iso); // the series starts on an occurrence, as Graph requires
    }), { numRuns: 300 });
  });

  it('scenarios – invitee lists reach but never exceed 500; rooms are resource attendees with a location and get a copy', () => {
    const sizes = events.map((e) => e.event.attendees?.length ?? 0);
    expect(Math.max(...sizes)).toBe(GRAPH_MAX_ATTENDEES);
    expect(sizes.filter((s) => s >= 100).length).toBeGreaterThan(0);
    const tenant = base.summary.tenants[0]!;
    const roomMail = new Map([...base.sink.mailboxes.get(tenant.id)!.values()].filter((m) => m.kind === 'room').map((m) => [m.mail, m.id]));
    const withRoom = events.filter((e) => e.event.attendees?.some((a) => a.type === 'resource'));
    expect(withRoom.length).toBeGreaterThan(0);
    for (const e of withRoom) {
      const room = e.event.attendees!.find((a) => a.type === 'resource')!;
      expect(roomMail.has(room.emailAddress.address)).toBe(true);
      const locs = e.event.locations ?? [e.event.location!];
      expect(locs.some((l) => l.locationEmailAddress === room.emailAddress.address && l.locationType === 'conferenceRoom')).toBe(true);
    }
    const roomCopies = events.filter((e) => [...roomMail.values()].includes(e.mailboxId));
    expect(roomCopies.length).toBeGreaterThan(0);
    expect(roomCopies.length).toBeLessThanOrEqual(withRoom.length);
    for (const s of sizes) expect(s).toBeLessThanOrEqual(GRAPH_MAX_ATTENDEES);
  });

  it('scenarios – bodies carry Teams, Zoom, Webex, Meet, SIP and wrapped links, as Outlook-like HTML or plain text', () => {
    const all = bodies();
    const html = events.filter((e) => e.event.body?.contentType === 'html').map((e) => e.event.body!.content).filter((c) => c.length > 0);
    expect(html.length).toBeGreaterThan(0);
    for (const c of html) expect(c).toMatch(/^<html><head>[\s\S]*<\/head>\r\n<body[^>]*>[\s\S]*<\/body>\r\n<\/html>\r\n$/);
    for (const c of html) expect(c.replace(/&(amp|nbsp|lt|gt|quot);/g, '')).not.toContain('&'); // hrefs are entity-escaped
    expect(events.some((e) => e.event.body?.contentType === 'text' && e.event.body.content.length > 0)).toBe(true);
    const patterns: Record<string, RegExp> = {
      teams: /https:\/\/teams\.microsoft\.com\/l\/meetup-join\/19%3ameeting_[A-Za-z0-9]+%40thread\.v2\/0\?context=/,
      teamsShort: /https:\/\/teams\.microsoft\.com\/meet\/\d+\?p=/,
      zoom: /https:\/\/[a-z0-9]+\.zoom\.us\/j\/\d{9,11}\?pwd=[A-Za-z0-9.]+/,
      zoomgov: /https:\/\/[a-z0-9]+\.zoomgov\.com\/j\/\d+/,
      webexMeet: /https:\/\/[a-z0-9]+\.webex\.com\/meet\/[a-z0-9.]+/,
      webexJoin: /https:\/\/[a-z0-9]+\.webex\.com\/join\/[a-z0-9.]+/,
      webexMtid: /https:\/\/([a-z0-9]+)\.webex\.com\/\1\/j\.php\?MTID=m[0-9a-f]{32}/,
      meet: /meet\.google\.com\/[a-z]{3}-[a-z]{4}-[a-z]{3}/,
      sip: /\bsip:[\w.]+@[\w.-]+/,
      sips: /\bsips:[\w.]+@[\w.-]+/,
      numeric: /\b\d{5}@[\w.-]+\.(com|net|org|edu|ch|de)\b/,
      h323: /\bh323:\d+@/,
      safelinks: /https:\/\/[a-z]{3}\d{2}\.safelinks\.protection\.outlook\.com\/\?url=https%3A%2F%2F[^&"]+&amp;data=|https:\/\/[a-z]{3}\d{2}\.safelinks\.protection\.outlook\.com\/\?url=https%3A%2F%2F[^&"]+&data=[^&"\s]+&sdata=[^&"\s]+&reserved=0/,
      proofpoint: /https:\/\/urldefense\.(proofpoint\.)?com\/v[23]\//,
      mimecast: /https:\/\/protect-[a-z]{2}\.mimecast\.com\/s\//,
    };
    for (const [name, re] of Object.entries(patterns)) {
      expect(all.some((b) => re.test(b)), name).toBe(true);
    }
    // A Safe Links URL unwraps to a provider's join link.
    const wrapped = all.join('\n').match(/https:\/\/[a-z]{3}\d{2}\.safelinks\.protection\.outlook\.com\/\?url=([^&"\s]+)/g)!;
    expect(wrapped.length).toBeGreaterThan(0);
    for (const w of wrapped) {
      const inner = decodeURIComponent(new URL(w).searchParams.get('url')!);
      expect(inner).toMatch(/^https:\/\/(teams\.microsoft\.com|[a-z0-9]+\.zoom(gov)?\.us|us02web\.zoom\.us|[a-z0-9.]+\.zoom\.us|[a-z0-9]+\.zoomgov\.com|[a-z0-9]+\.webex\.com|meet\.google\.com|meet\.goto\.com|bluejeans\.com|chime\.aws|meet\.jit\.si|whereby\.com|v\.ringcentral\.com)\//);
    }
  });

  it('scenarios – keyword Locations appear alone and beside rooms; Teams meetings set isOnlineMeeting', () => {
    const locs = events.map((e) => e.event.location?.displayName ?? '');
    for (const kw of KEYWORD_LOCATIONS) expect(locs).toContain(kw);
    expect(locs.some((l) => /; @(webex|meet)|@(webex|meet)[^;]*; /i.test(l))).toBe(true);
    const teams = events.filter((e) => e.event.isOnlineMeeting === true);
    expect(teams.length).toBeGreaterThan(0);
    for (const t of teams) expect(t.event.onlineMeetingProvider).toBe('teamsForBusiness');
    expect(locs.some((l) => l.length > 0 && !l.startsWith('@') && !l.includes('Teams'))).toBe(true);
  });

  it('scenarios – private and confidential meetings, all-day events and invitations from others exist', () => {
    expect(events.some((e) => e.event.sensitivity === 'private')).toBe(true);
    expect(events.some((e) => e.event.sensitivity === 'confidential')).toBe(true);
    const allDay = events.filter((e) => e.event.isAllDay === true);
    expect(allDay.length).toBeGreaterThan(0);
    for (const e of allDay) {
      expect(e.event.start!.dateTime).toMatch(/T00:00:00$/);
      expect(e.event.end!.dateTime).toMatch(/T00:00:00$/);
    }
    const people = new Map(base.summary.tenants[0]!.people.map((p) => [p.id, p.mail]));
    const invitations = events.filter((e) => e.event.organizer!.emailAddress.address !== people.get(e.mailboxId));
    expect(invitations.length).toBeGreaterThan(0);
    for (const inv of invitations) {
      const mine = people.get(inv.mailboxId)!;
      const isRoomCopy = base.summary.tenants[0]!.rooms.includes(inv.mailboxId);
      expect(isRoomCopy || inv.event.attendees!.some((a) => a.emailAddress.address === mine)).toBe(true);
    }
  });

  it('scenarios – canaries land in every subject, body, location and in an attendee address', () => {
    const { sink, summary } = run({ usersPerTenant: 10, meetingsPerMailbox: 8, canary: (kind, i) => `CANARY-${kind}-${i}-7f3a` });
    const added = sink.addedEvents();
    expect(added.length).toBeGreaterThan(0);
    const roomIds = new Set([...sink.mailboxes.values()].flatMap((m) => [...m.values()]).filter((m) => m.kind === 'room').map((m) => m.id));
    // Rooms that strip bodies (DeleteComments) or replace subjects keep no canary there, as in Exchange.
    const stripping = new Set(summary.tenants[0]!.people.filter((p) => p.deleteComments === true).map((p) => p.id));
    expect(stripping.size).toBeGreaterThan(0);
    const seen = new Set<string>();
    for (const { event, mailboxId } of added) {
      const m = /CANARY-subject-(\d+)-7f3a/.exec(event.subject ?? '');
      const isRoom = roomIds.has(mailboxId);
      if (!isRoom) expect(m).not.toBeNull();
      const i = m?.[1] ?? /CANARY-location-(\d+)-7f3a/.exec(event.location?.displayName ?? '')![1];
      expect(event.location?.displayName).toContain(`CANARY-location-${i}-7f3a`);
      if (stripping.has(mailboxId)) expect(event.body!.content).not.toContain('CANARY');
      else expect(event.body!.content).toContain(`CANARY-body-${i}-7f3a`);
      expect(event.attendees!.some((a) => a.emailAddress.address === `CANARY-address-${i}-7f3a@guest.example.net`)).toBe(true);
      expect(event.attendees!.length).toBeLessThanOrEqual(GRAPH_MAX_ATTENDEES);
      if (!isRoom) seen.add(i!);
    }
    // One canary index per meeting: a colleague's invitation and the organiser's own event are one meeting (the same input).
    expect(seen.size).toBe(new Set(added.filter((e) => !roomIds.has(e.mailboxId)).map((e) => e.event)).size);
  });

  it('scenarios – bad options fail with HC_ERR_SIM_SCENARIO_OPTIONS naming the option', () => {
    const cases: [Partial<ScenarioOptions>, string][] = [
      [{ usersPerTenant: 0 }, 'usersPerTenant'],
      [{ meetingsPerMailbox: 1.5 }, 'meetingsPerMailbox'],
      [{ tenants: -1 }, 'tenants'],
      [{ clouds: ['germany' as CloudName] }, 'clouds'],
      [{ anchorMs: Number.NaN }, 'anchorMs'],
      [{ seed: Number.POSITIVE_INFINITY }, 'seed'],
    ];
    for (const [bad, name] of cases) {
      let caught: unknown;
      try {
        run(bad);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ScenarioOptionsError);
      expect((caught as ScenarioOptionsError).code).toBe('HC_ERR_SIM_SCENARIO_OPTIONS');
      expect((caught as Error).message).toContain(name);
    }
  });

  it('scenarios – counts match what the sink received, for any small seeded scenario', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 3 }), (seed, users, rooms) => {
      const sink = new CountingSink();
      const summary = loadScenario(sink, { seed, usersPerTenant: users, roomsPerTenant: rooms, meetingsPerMailbox: 6, anchorMs: ANCHOR, tenants: 2 });
      expect(summary.counts.events).toBe(sink.events);
      expect(summary.counts.exceptions).toBe(sink.exceptions);
      expect(summary.counts.mailboxes).toBe(sink.mailboxes);
      expect(sink.mailboxes).toBe(2 * (users + rooms));
    }), { numRuns: 30 });
  });

  it('scenarios – event inputs use only Graph event fields', () => {
    const allowed = new Set(['subject', 'body', 'start', 'end', 'isAllDay', 'location', 'locations', 'attendees', 'organizer', 'recurrence', 'sensitivity', 'showAs', 'importance', 'isOnlineMeeting', 'onlineMeetingProvider', 'isReminderOn', 'reminderMinutesBeforeStart', 'categories']);
    for (const { event } of events) for (const key of Object.keys(event)) expect(allowed.has(key), key).toBe(true);
    const sample: GraphEventInput = events[0]!.event;
    expect(sample.start!.dateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
  });
});

describe('scenario civil time', () => {
  it('scenarios – wall times convert to UTC like luxon, across DST transitions in every zone used', async () => {
    const { zonedToUtcMs } = await import('../../../scenarios/civil.js');
    const zones = ['America/Los_Angeles', 'America/New_York', 'Europe/Berlin', 'Europe/London', 'Asia/Tokyo', 'America/Sao_Paulo', 'Australia/Sydney', 'Asia/Kolkata', 'UTC'];
    fc.assert(fc.property(fc.constantFrom(...zones), fc.integer({ min: 20_400, max: 21_200 }), fc.integer({ min: 0, max: 1439 }), (zone, day, minute) => {
      const d = new Date(day * DAY);
      const expected = DateTime.fromObject({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: Math.floor(minute / 60), minute: minute % 60 }, { zone }).toMillis();
      expect(zonedToUtcMs(day, minute, zone)).toBe(expected);
    }), { numRuns: 3000 });
    // Transition days themselves (2026-03-08 US, 2026-03-29 EU, 2026-10-04 Sydney).
    for (const [zone, iso] of [['America/New_York', '2026-03-08'], ['Europe/Berlin', '2026-03-29'], ['Australia/Sydney', '2026-10-04'], ['Europe/London', '2026-10-25']] as const) {
      const day = Date.parse(iso) / DAY;
      for (let minute = 0; minute < 1440; minute += 15) {
        const [y, m, dd] = iso.split('-').map(Number) as [number, number, number];
        const expected = DateTime.fromObject({ year: y, month: m, day: dd, hour: Math.floor(minute / 60), minute: minute % 60 }, { zone }).toMillis();
        expect(zonedToUtcMs(day, minute, zone)).toBe(expected);
      }
    }
  });
});
