/**
 * Scenario generator and activity driver throughput and memory.
 *
 *   npx tsx bench/scenarios.ts [--users 9000] [--rooms 1000] [--meetings 50] [--no-retain]
 *
 * Rows: the generator alone into a counting sink (10,000 mailboxes × 50 meetings by default), a
 * baseline that allocates the same number of minimal event objects (the floor any generator
 * pays), the generator into a sink that retains every input (a lower bound of what a store
 * holds), and the activity driver's `step()` on an in-memory target. Peak heap is sampled every
 * 10,000 events. Wall time is shared-machine sensitive; CPU time is reported beside it.
 */
import { pathToFileURL } from 'node:url';
import type {
  ActivityTarget,
  AutomaticRepliesSetting,
  GraphEventInput,
  ScenarioMailbox,
  ScenarioSink,
  ScenarioTenant,
} from '@hybrid-calendar/sim-graph/model';
import { ActivityDriver, CountingSink, loadScenario } from '@hybrid-calendar/sim-graph/scenarios';
import type { ScenarioSummary } from '@hybrid-calendar/sim-graph/scenarios';
import type { BenchReport, BenchRow } from './report.js';


export interface ScenarioBenchOptions {
  /** Users per tenant (default 900) and rooms per tenant (default 100), over `tenants` (default 10). */
  users?: number;
  rooms?: number;
  tenants?: number;
  meetings?: number;
  seed?: number;
  /** Also run the retaining sink (default true; needs ~1 GiB of heap at full size). */
  retain?: boolean;
  /** Activity driver steps (default 50,000). */
  activitySteps?: number;
}

const ANCHOR = Date.UTC(2026, 2, 20, 9, 0, 0);
const MiB = 1024 * 1024;

/** Wraps a sink and samples the heap every 10,000 events. */
class SamplingSink implements ScenarioSink {
  peakHeap = 0;
  #n = 0;
  constructor(private readonly inner: ScenarioSink) {}
  addTenant(tenant: ScenarioTenant): void {
    this.inner.addTenant(tenant);
  }
  addMailbox(tenantId: string, mailbox: ScenarioMailbox): void {
    this.inner.addMailbox(tenantId, mailbox);
  }
  addEvent(tenantId: string, mailboxId: string, event: GraphEventInput): string {
    this.#n += 1;
    if (this.#n % 10_000 === 0) this.peakHeap = Math.max(this.peakHeap, process.memoryUsage().heapUsed);
    return this.inner.addEvent(tenantId, mailboxId, event);
  }
  addOccurrenceException(...args: Parameters<ScenarioSink['addOccurrenceException']>): void {
    this.inner.addOccurrenceException(...args);
  }
}

/** Keeps every input it is given, as a store would (without the store's own overhead). */
class RetainingSink implements ScenarioSink {
  readonly kept: unknown[] = [];
  #n = 0;
  addTenant(tenant: ScenarioTenant): void {
    this.kept.push(tenant);
  }
  addMailbox(_tenantId: string, mailbox: ScenarioMailbox): void {
    this.kept.push(mailbox);
  }
  addEvent(_tenantId: string, _mailboxId: string, event: GraphEventInput): string {
    this.kept.push(event);
    this.#n += 1;
    return `e${this.#n}`;
  }
  addOccurrenceException(_t: string, _m: string, _id: string, originalStartMs: number, change: unknown): void {
    this.kept.push(originalStartMs, change);
  }
}

/** Minimal in-memory ActivityTarget for the driver row. */
class MemoryTarget implements ActivityTarget, ScenarioSink {
  readonly calendars = new Map<string, Map<string, GraphEventInput>>();
  readonly mailboxes = new Map<string, string[]>();
  #n = 0;
  #cal(tenantId: string, mailboxId: string): Map<string, GraphEventInput> {
    const key = `${tenantId}/${mailboxId}`;
    let cal = this.calendars.get(key);
    if (cal === undefined) {
      cal = new Map();
      this.calendars.set(key, cal);
    }
    return cal;
  }
  addTenant(tenant: ScenarioTenant): void {
    this.mailboxes.set(tenant.id, []);
  }
  addMailbox(tenantId: string, mailbox: ScenarioMailbox): void {
    this.mailboxes.get(tenantId)?.push(mailbox.id);
  }
  addEvent(tenantId: string, mailboxId: string, event: GraphEventInput): string {
    this.#n += 1;
    const id = `e${this.#n}`;
    this.#cal(tenantId, mailboxId).set(id, event);
    return id;
  }
  addOccurrenceException(): void {}
  listMailboxes(tenantId: string): readonly string[] {
    return this.mailboxes.get(tenantId) ?? [];
  }
  listEventIds(tenantId: string, mailboxId: string): readonly string[] {
    return [...this.#cal(tenantId, mailboxId).keys()];
  }
  createEvent(tenantId: string, mailboxId: string, event: GraphEventInput): string {
    return this.addEvent(tenantId, mailboxId, event);
  }
  updateEvent(tenantId: string, mailboxId: string, eventId: string, patch: GraphEventInput): void {
    const cal = this.#cal(tenantId, mailboxId);
    const ev = cal.get(eventId);
    if (ev !== undefined) cal.set(eventId, { ...ev, ...patch });
  }
  cancelEvent(tenantId: string, mailboxId: string, eventId: string): void {
    this.#cal(tenantId, mailboxId).delete(eventId);
  }
  deleteEvent(tenantId: string, mailboxId: string, eventId: string): void {
    this.#cal(tenantId, mailboxId).delete(eventId);
  }
  setAutomaticReplies(_tenantId: string, _mailboxId: string, _setting: AutomaticRepliesSetting): void {}
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function timed<T>(fn: () => T): { value: T; wallMs: number; cpuMs: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { value, wallMs, cpuMs: (c.user + c.system) / 1000 };
}

export async function run(opts: ScenarioBenchOptions = {}): Promise<BenchReport> {
  const tenants = opts.tenants ?? 10;
  const users = opts.users ?? 900;
  const rooms = opts.rooms ?? 100;
  const meetings = opts.meetings ?? 50;
  const seed = opts.seed ?? 7;
  const scenario = { seed, tenants, usersPerTenant: users, roomsPerTenant: rooms, meetingsPerMailbox: meetings, anchorMs: ANCHOR };
  const label = `${(tenants * (users + rooms)).toLocaleString('en-US')} mailboxes × ${meetings} meetings`;
  const rows: BenchRow[] = [];

  // 1. Generator alone.
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const counting = new SamplingSink(new CountingSink());
  const gen = timed(() => loadScenario(counting, scenario));
  const c = gen.value.counts;
  const genRate = c.events / (gen.wallMs / 1000);
  rows.push({
    case: `generate ${label} → counting sink`,
    opsPerSec: Math.round(genRate),
    note: `${c.events} events, ${c.series} series, ${c.exceptions} exceptions; wall ${(gen.wallMs / 1000).toFixed(2)} s, cpu ${(gen.cpuMs / 1000).toFixed(2)} s; peak heap +${((counting.peakHeap - heapBefore) / MiB).toFixed(0)} MiB`,
  });

  // 2. Baseline: the same number of minimal event objects.
  const pool = Array.from({ length: 64 }, (_, i) => ({ type: 'required' as const, emailAddress: { name: `User ${i}`, address: `user${i}@contoso.com` } }));
  const fixedBody = { contentType: 'html' as const, content: '<html><head></head><body><p>Hello</p></body></html>' };
  const base = timed(() => {
    let sink = 0;
    for (let i = 0; i < c.events; i += 1) {
      const ev: GraphEventInput = {
        subject: 'Weekly team sync',
        body: fixedBody,
        start: { dateTime: `2026-03-${10 + (i % 18)}T09:00:00`, timeZone: 'UTC' },
        end: { dateTime: `2026-03-${10 + (i % 18)}T10:00:00`, timeZone: 'UTC' },
        attendees: pool.slice(i % 50, (i % 50) + 5),
      };
      sink += ev.attendees?.length ?? 0;
    }
    return sink;
  });
  const baseRate = c.events / (base.wallMs / 1000);
  rows.push({ case: 'baseline: minimal event objects, same count', opsPerSec: Math.round(baseRate), note: `wall ${(base.wallMs / 1000).toFixed(2)} s` });
  rows[0] = { ...(rows[0] as BenchRow), baseline: 'baseline: minimal event objects, same count', ratio: Number((genRate / baseRate).toFixed(3)) };

  // 3. Generator into a retaining sink (what a store must at least hold).
  if (opts.retain ?? true) {
    gc();
    const before = process.memoryUsage().heapUsed;
    const retaining = new RetainingSink();
    const sampling = new SamplingSink(retaining);
    const kept = timed(() => loadScenario(sampling, scenario));
    gc();
    const after = process.memoryUsage().heapUsed;
    rows.push({
      case: `generate ${label} → retaining sink`,
      opsPerSec: Math.round(kept.value.counts.events / (kept.wallMs / 1000)),
      baseline: `generate ${label} → counting sink`,
      ratio: Number((kept.value.counts.events / (kept.wallMs / 1000) / genRate).toFixed(3)),
      note: `retained inputs ${((after - before) / MiB).toFixed(0)} MiB after GC (${((after - before) / kept.value.counts.events).toFixed(0)} B/event); wall ${(kept.wallMs / 1000).toFixed(2)} s, cpu ${(kept.cpuMs / 1000).toFixed(2)} s; rss peak ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
    });
    retaining.kept.length = 0;
    gc();
  }

  // 4. Activity driver.
  const target = new MemoryTarget();
  const summary: ScenarioSummary = loadScenario(target, { ...scenario, tenants: 1, usersPerTenant: 500, roomsPerTenant: 50, meetingsPerMailbox: 20 });
  const driver = new ActivityDriver({ target, tenants: summary.tenants, seed, ratePerSecond: 1, anchorMs: ANCHOR });
  const steps = opts.activitySteps ?? 50_000;
  const samples: number[] = [];
  const act = timed(() => {
    for (let done = 0; done < steps; done += 100) {
      const t0 = performance.now();
      driver.step(100);
      samples.push((performance.now() - t0) / 100);
    }
  });
  samples.sort((a, b) => a - b);
  rows.push({
    case: 'activity driver step() → in-memory target (500 users)',
    opsPerSec: Math.round(steps / (act.wallMs / 1000)),
    p50Ms: Number((samples[Math.floor(samples.length * 0.5)] ?? 0).toFixed(4)),
    p99Ms: Number((samples[Math.floor(samples.length * 0.99)] ?? 0).toFixed(4)),
    note: `per action, averaged over batches of 100; ${JSON.stringify(driver.stats()).slice(0, 120)}…`,
  });
  return Promise.resolve({ name: 'scenarios', rows });
}

function argValue(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = Number(process.argv[i + 1]);
  return Number.isFinite(v) ? v : undefined;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const opts: ScenarioBenchOptions = { retain: !process.argv.includes('--no-retain') };
  const users = argValue('users');
  const rooms = argValue('rooms');
  const meetings = argValue('meetings');
  const tenants = argValue('tenants');
  if (users !== undefined) opts.users = users;
  if (rooms !== undefined) opts.rooms = rooms;
  if (meetings !== undefined) opts.meetings = meetings;
  if (tenants !== undefined) opts.tenants = tenants;
  const report = await run(opts);
  console.log(JSON.stringify(report, null, 2));
}
