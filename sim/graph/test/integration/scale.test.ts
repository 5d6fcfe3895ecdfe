/* eslint-disable @typescript-eslint/no-explicit-any -- JSON from the wire */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../clock.js';
import type { GraphEventInput, ScenarioMailbox, ScenarioSink, ScenarioTenant } from '../../model.js';
import { startGraphSimulator, type GraphSimulator } from '../../index.js';
import { expandSeries } from '../../recurrence/index.js';
import { loadScenario, type ScenarioSummary } from '../../scenarios/index.js';
import { SimStore } from '../../store/index.js';
import { zonedToUtcMs } from '../../time/index.js';
import { call } from '../unit/helpers.js';

/**
 * Issue 3, point 7: 10,000 mailboxes × 50 meetings through the scenario generator into the real
 * store. Counts and spot checks are asserted; heap loosely (< 2 GiB, the bound); time is
 * measured and printed, never asserted.
 */

const ANCHOR = Date.UTC(2026, 2, 2);
const DAY = 86_400_000;
const WINDOW_START = ANCHOR - 7 * DAY;
const WINDOW_END = ANCHOR + 31 * DAY;

interface Recorded {
  event: GraphEventInput;
  id: string;
  exceptions: { originalStartMs: number; change: { cancelled: true } | { cancelled: false; patch: GraphEventInput } }[];
}

/** Passes everything to the store and keeps what a few sample mailboxes were sent (independent of the store). */
class TeeSink implements ScenarioSink {
  readonly recorded = new Map<string, Recorded[]>();
  readonly byId = new Map<string, Recorded>();
  constructor(readonly store: SimStore, readonly sample: (mailboxIndex: number) => boolean) {}
  #index = 0;
  addTenant(tenant: ScenarioTenant): void {
    this.store.addTenant(tenant);
  }
  addMailbox(tenantId: string, mailbox: ScenarioMailbox): void {
    this.store.addMailbox(tenantId, mailbox);
    if (this.sample(this.#index++)) this.recorded.set(mailbox.id, []);
  }
  addEvent(tenantId: string, mailboxId: string, event: GraphEventInput): string {
    const id = this.store.addEvent(tenantId, mailboxId, event);
    const list = this.recorded.get(mailboxId);
    if (list !== undefined) {
      const rec = { event, id, exceptions: [] };
      list.push(rec);
      this.byId.set(id, rec);
    }
    return id;
  }
  addOccurrenceException(tenantId: string, mailboxId: string, seriesMasterId: string, originalStartMs: number, change: Recorded['exceptions'][number]['change']): void {
    this.store.addOccurrenceException(tenantId, mailboxId, seriesMasterId, originalStartMs, change);
    this.byId.get(seriesMasterId)?.exceptions.push({ originalStartMs, change });
  }
}

/** What calendarView must return for a mailbox, from the generator's calls and expandSeries alone. */
function expectedView(recorded: Recorded[]): { start: number; end: number; subject: string }[] {
  const out: { start: number; end: number; subject: string }[] = [];
  const overlaps = (s: number, e: number) => (s === e ? s >= WINDOW_START && s < WINDOW_END : s < WINDOW_END && e > WINDOW_START);
  for (const { event, exceptions } of recorded) {
    const subject = event.subject ?? '';
    if (event.start === undefined || event.end === undefined) continue;
    // All-day events float: Graph writes their dates at midnight in whatever zone it answers in.
    const allDay = event.isAllDay === true;
    const floating = (dateTime: string) => Date.parse(`${dateTime.slice(0, 19)}Z`);
    if (event.recurrence === undefined || event.recurrence === null) {
      const s = zonedToUtcMs(event.start);
      const e = zonedToUtcMs(event.end);
      if (overlaps(s, e)) out.push(allDay ? { start: floating(event.start.dateTime), end: floating(event.end.dateTime), subject } : { start: s, end: e, subject });
      continue;
    }
    const byOriginal = new Map(exceptions.map((x) => [x.originalStartMs, x.change]));
    const series = { start: event.start, end: event.end, isAllDay: event.isAllDay === true, recurrence: event.recurrence };
    // Wide enough to see occurrences whose modification moves them into the window.
    for (const o of expandSeries(series, WINDOW_START - 2 * DAY, WINDOW_END + 2 * DAY)) {
      const change = byOriginal.get(o.originalStartMs);
      if (change?.cancelled === true) continue;
      const patch = change?.patch;
      const s = patch?.start === undefined ? o.startMs : zonedToUtcMs(patch.start);
      const e = patch?.end === undefined ? o.endMs : zonedToUtcMs(patch.end);
      if (!overlaps(s, e)) continue;
      if (allDay) out.push({ start: floating(o.start.dateTime), end: floating(o.end.dateTime), subject: patch?.subject ?? subject });
      else out.push({ start: s, end: e, subject: patch?.subject ?? subject });
    }
  }
  return out.sort((a, b) => a.start - b.start || a.end - b.end || (a.subject < b.subject ? -1 : 1));
}

let store: SimStore;
let tee: TeeSink;
let summary: ScenarioSummary;
let sim: GraphSimulator;
let loadMs = 0;
let heapUsed = 0;

beforeAll(async () => {
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = performance.now();
  store = new SimStore(systemClock);
  tee = new TeeSink(store, (i) => i % 997 === 3);
  summary = loadScenario(tee, { seed: 7, tenants: 10, usersPerTenant: 900, roomsPerTenant: 100, meetingsPerMailbox: 50, anchorMs: ANCHOR });
  loadMs = performance.now() - t0;
  heapUsed = process.memoryUsage().heapUsed;
  console.log(`sim load: 10,000 mailboxes x 50 meetings: ${summary.counts.events} events, ${summary.counts.series} series, ${summary.counts.exceptions} exceptions in ${(loadMs / 1000).toFixed(1)} s; heapUsed ${(heapUsed / 2 ** 20).toFixed(0)} MiB`);
  sim = await startGraphSimulator({ store, clouds: ['worldwide'] });
}, 300_000);
afterAll(async () => sim.close());

describe('sim/graph at scale', () => {
  it('scale – 10,000 mailboxes x 50 meetings load through loadScenario into the real store within 2 GiB of heap', () => {
    expect(summary.counts.mailboxes).toBe(10_000);
    expect(summary.tenants).toHaveLength(10);
    let mailboxes = 0;
    let events = 0;
    let series = 0;
    let exceptions = 0;
    for (const tenant of store.tenants.values()) {
      for (const mbx of tenant.mailboxes.values()) {
        mailboxes += 1;
        events += mbx.events.size;
        for (const ev of mbx.events.values()) {
          if (ev.recurrence !== null) series += 1;
          exceptions += ev.exceptions?.size ?? 0;
        }
      }
    }
    expect(mailboxes).toBe(10_000);
    expect(events).toBe(summary.counts.events);
    expect(store.eventCount).toBe(summary.counts.events);
    expect(series).toBe(summary.counts.series);
    expect(exceptions).toBe(summary.counts.exceptions);
    // Licensed users hold 50 each; rooms hold copies of their bookings.
    expect(summary.counts.events).toBeGreaterThanOrEqual(50 * 9_000 * 0.9);
    expect(heapUsed).toBeLessThan(2 * 2 ** 30);
  });

  it('scale – calendarView over HTTPS of sample mailboxes returns exactly the occurrences the generator asked for', async () => {
    const tenant = [...store.tenants.values()][0];
    expect(tenant).toBeDefined();
    const token = await appTokenFor(sim, summary);
    let checked = 0;
    for (const [mailboxId, recorded] of tee.recorded) {
      const mbx = [...store.tenants.values()].map((t) => t.mailboxes.get(mailboxId)).find((m) => m !== undefined);
      if (mbx === undefined || recorded.length === 0) continue;
      const got: { start: number; end: number; subject: string }[] = [];
      let url: string | undefined = `/v1.0/users/${mailboxId}/calendarView?startDateTime=${new Date(WINDOW_START).toISOString()}&endDateTime=${new Date(WINDOW_END).toISOString()}&$top=100`;
      while (url !== undefined) {
        const res = await call(sim, 'GET', url, { token: token.get(mbx.tenantId) ?? '' });
        expect(res.status).toBe(200);
        for (const e of res.body.value as any[]) {
          got.push({ start: Date.parse(`${String(e.start.dateTime).slice(0, 19)}Z`), end: Date.parse(`${String(e.end.dateTime).slice(0, 19)}Z`), subject: e.subject as string });
        }
        url = res.body['@odata.nextLink'] as string | undefined;
      }
      got.sort((a, b) => a.start - b.start || a.end - b.end || (a.subject < b.subject ? -1 : 1));
      expect(got).toEqual(expectedView(recorded));
      checked += 1;
    }
    expect(checked).toBeGreaterThanOrEqual(5);
  });
});

async function appTokenFor(s: GraphSimulator, scenario: ScenarioSummary): Promise<Map<string, string>> {
  const appId = '5b1f0d7e-8c1a-4a6e-9f0d-3e2b1c4d5a99';
  const secret = 'scale-secret';
  s.admin.registerApp({ appId, homeTenantId: scenario.tenants[0]?.id ?? '', secrets: [secret], applicationPermissions: ['Calendars.ReadWrite'] });
  const tokens = new Map<string, string>();
  for (const t of scenario.tenants) {
    s.admin.grantAdminConsent(t.id, appId);
    const res = await call(s, 'POST', `/${t.id}/oauth2/v2.0/token`, {
      raw: new URLSearchParams({ grant_type: 'client_credentials', client_id: appId, client_secret: secret, scope: 'https://graph.microsoft.com/.default' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    tokens.set(t.id, res.body.access_token as string);
  }
  return tokens;
}
