/**
 * Memory and GC of the simulator's stored-event layout, with a plain layout measured side by side:
 * - heap per 10,000 stored events after a seeded scenario load (the generator's mix of organised
 *   meetings, Teams meetings, linked invitations and room copies), against the same inputs kept as
 *   plain JSON copies (what a store without compact records keeps);
 * - heap per 10,000 events after a load that fans invitations out through the store (organizer
 *   creates, attendees get copies);
 * - the 10k × 50 load of the sim-graph suite (`loadStore`), with the share of its time spent in GC.
 * Rows count stored events per MiB of heap (higher is better); notes give MB per 10k events.
 *
 * `npm run bench -- sim-store-layout` (or node --import tsx bench/sim-store-layout.ts [users] [meetings]).
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ManualClock } from '../common/index.js';
import type { GraphEventInput, ScenarioMailbox, ScenarioSink, ScenarioTenant } from '@hybrid-calendar/sim-graph/model';
import { loadScenario } from '@hybrid-calendar/sim-graph/scenarios';
import { SimStore } from '@hybrid-calendar/sim-graph/store';
import type { BenchOptions, BenchReport } from './report.js';
import { loadStore } from './sim-graph.js';

const ANCHOR = Date.UTC(2026, 0, 5, 9);
const MiB = 1024 * 1024;
/** Keeps the measured stores alive until they are measured. */
const kept: unknown[] = [];

function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed !== undefined) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function heap(): number {
  const gc = collector();
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** The plain layout: every event input kept as its own JSON copy in per-mailbox maps, links as pairs. */
class PlainSink implements ScenarioSink {
  readonly mailboxes = new Map<string, Map<string, unknown>>();
  readonly links: unknown[] = [];
  events = 0;
  addTenant(_tenant: ScenarioTenant): void { /* nothing kept per tenant */ }
  addMailbox(_tenantId: string, mailbox: ScenarioMailbox): void { this.mailboxes.set(mailbox.id, new Map()); }
  addEvent(_tenantId: string, mailboxId: string, event: GraphEventInput): string {
    const id = `e${this.events++}`;
    this.mailboxes.get(mailboxId)?.set(id, JSON.parse(JSON.stringify(event)) as unknown);
    return id;
  }
  addOccurrenceException(_t: string, mailboxId: string, masterId: string, originalStartMs: number, change: unknown): void {
    this.mailboxes.get(mailboxId)?.set(`${masterId}/${originalStartMs}`, JSON.parse(JSON.stringify(change)) as unknown);
  }
  linkCopy(_t: string, organizer: unknown, copy: unknown): void { this.links.push([organizer, copy]); }
}

function scenarioOptions(users: number, meetings: number) {
  return { seed: 5, tenants: 1, usersPerTenant: users, roomsPerTenant: Math.max(1, Math.floor(users / 10)), meetingsPerMailbox: meetings, anchorMs: ANCHOR };
}

export interface LayoutReport {
  scenario: { events: number; bytesPer10k: number; plainBytesPer10k: number };
  fanOut: { events: number; copies: number; bytesPer10k: number };
}

/** Heap kept by what `load` returns, per 10,000 of the events it reports (locals die with the call). */
function bytesPer10k(load: () => { value: unknown; events: number }): { events: number; bytesPer10k: number } {
  const before = heap();
  const { value, events } = load();
  kept.push(value);
  const bytes = heap() - before;
  kept.length = 0;
  return { events, bytesPer10k: Math.round((bytes / events) * 10_000) };
}

function loadFanOut(users: number, meetings: number): { value: SimStore; events: number; organised: number } {
  const fan = new SimStore(new ManualClock(ANCHOR));
  const tenantId = '7d3b7e6c-1f4a-4a38-9a5e-2c7c1d0a1b02';
  fan.addTenant({ id: tenantId, displayName: 'Fan', cloud: 'worldwide', domains: [{ id: 'fan.example', isDefault: true, isInitial: false }] });
  const n = users;
  for (let m = 0; m < n; m += 1) {
    fan.addMailbox(tenantId, { id: `00000000-0000-4000-8000-${m.toString(16).padStart(12, '0')}`, userPrincipalName: `u${m}@fan.example`, displayName: `User ${m}`, mail: `u${m}@fan.example`, kind: 'user', mailboxEnabled: true, mailboxSettings: {} });
  }
  let organised = 0;
  for (let m = 0; m < n; m += 1) {
    for (let e = 0; e < Math.ceil(meetings / 5); e += 1) {
      const day = 1 + ((m + e) % 27);
      const date = `2026-02-${String(day).padStart(2, '0')}`;
      fan.createEvent(tenantId, `00000000-0000-4000-8000-${m.toString(16).padStart(12, '0')}`, {
        subject: `Meeting ${m}-${e}`, body: { contentType: 'html', content: `<p>Agenda ${m}-${e}</p>` },
        start: { dateTime: `${date}T${String(8 + (e % 9)).padStart(2, '0')}:00:00`, timeZone: 'UTC' },
        end: { dateTime: `${date}T${String(8 + (e % 9)).padStart(2, '0')}:30:00`, timeZone: 'UTC' },
        attendees: [1, 2, 3, 4].map((k) => ({ type: 'required' as const, emailAddress: { name: `User ${(m + k) % n}`, address: `u${(m + k) % n}@fan.example` } })),
      });
      organised += 1;
    }
  }
  return { value: fan, events: fan.eventCount, organised };
}

export function measureLayout(users = 1_000, meetings = 20): LayoutReport {
  const scenario = bytesPer10k(() => {
    const store = new SimStore(new ManualClock(ANCHOR));
    loadScenario(store, scenarioOptions(users, meetings));
    return { value: store, events: store.eventCount };
  });
  const plain = bytesPer10k(() => {
    const sink = new PlainSink();
    loadScenario(sink, scenarioOptions(users, meetings));
    return { value: sink, events: scenario.events };
  });
  let organised = 0;
  const fanOut = bytesPer10k(() => {
    const loaded = loadFanOut(users, meetings);
    organised = loaded.organised;
    return loaded;
  });
  return {
    scenario: { events: scenario.events, bytesPer10k: scenario.bytesPer10k, plainBytesPer10k: plain.bytesPer10k },
    fanOut: { events: fanOut.events, copies: fanOut.events - organised, bytesPer10k: fanOut.bytesPer10k },
  };
}

export interface GcReport { events: number; loadMs: number; gcMs: number; gcShare: number; bytesPer10k: number }

/** The sim-graph suite's load (mailboxes × perMailbox), timing GC pauses while it runs. */
export async function measureGc(mailboxes = 10_000, perMailbox = 50): Promise<GcReport> {
  const before = heap();
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  observer.observe({ entryTypes: ['gc'] });
  const { events, ms } = (() => {
    const loaded = loadStore(mailboxes, perMailbox);
    kept.push(loaded.store);
    return { events: loaded.store.eventCount, ms: loaded.ms };
  })();
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  const bytes = heap() - before;
  kept.length = 0;
  return { events, loadMs: ms, gcMs, gcShare: gcMs / ms, bytesPer10k: Math.round((bytes / events) * 10_000) };
}

const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);

export async function run(opts: Partial<BenchOptions> = {}): Promise<BenchReport> {
  const quick = opts.quick === true;
  const progress = opts.progress ?? (() => undefined);
  progress(0, 2, 'layout');
  const layout = measureLayout(quick ? 300 : 1_000, 20);
  progress(1, 2, 'load with GC');
  const mailboxes = quick ? 1_000 : 10_000;
  const gc = await measureGc(mailboxes, 50);
  progress(2, 2, 'done');
  const perMiB = (bytesPer10k: number): number => 10_000 / (bytesPer10k / MiB);
  return {
    name: 'sim-store-layout',
    rows: [
      { case: 'plain JSON copies: seeded scenario', opsPerSec: perMiB(layout.scenario.plainBytesPer10k), note: `events per MiB; ${mb(layout.scenario.plainBytesPer10k)} MB per 10k events` },
      {
        case: 'stored layout: seeded scenario', opsPerSec: perMiB(layout.scenario.bytesPer10k), baseline: 'plain JSON copies: seeded scenario',
        note: `events per MiB; ${mb(layout.scenario.bytesPer10k)} MB per 10k events (${layout.scenario.events} events)`,
      },
      {
        case: 'stored layout: organizer fan-out', opsPerSec: perMiB(layout.fanOut.bytesPer10k),
        note: `events per MiB; ${mb(layout.fanOut.bytesPer10k)} MB per 10k events (${layout.fanOut.events} events, ${layout.fanOut.copies} copies)`,
      },
      {
        case: `load ${mailboxes}×50 (sim-graph)`, opsPerSec: gc.events / (gc.loadMs / 1000),
        note: `events/s; GC ${(gc.gcShare * 100).toFixed(1)} % of ${(gc.loadMs / 1000).toFixed(1)} s; ${mb(gc.bytesPer10k)} MB per 10k events`,
      },
    ],
  };
}

if (process.argv[1]?.endsWith('sim-store-layout.ts') === true) {
  const report = measureLayout(Number(process.argv[2] ?? '1000'), Number(process.argv[3] ?? '20'));
  process.stdout.write(`${JSON.stringify(report)}\n`);
  if (process.argv[4] !== undefined) process.stdout.write(`${JSON.stringify(await measureGc(Number(process.argv[4]), 50))}\n`);
}
