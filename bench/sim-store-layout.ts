/**
 * Memory of the simulator's stored-event layout: heap per 10,000 stored events after a seeded
 * scenario load (the generator's mix of organised meetings, linked invitations and room copies)
 * and after a load that fans invitations out through the store (organizer creates, attendees get
 * copies). Run: node --expose-gc --import tsx bench/sim-store-layout.ts [users] [meetings]
 */
import { ManualClock } from '../common/index.js';
import { loadScenario } from '@hybrid-calendar/sim-graph/scenarios';
import { SimStore } from '@hybrid-calendar/sim-graph/store';

const ANCHOR = Date.UTC(2026, 0, 5, 9);
/** Keeps the measured stores alive until both are measured. */
const kept: SimStore[] = [];

function heap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export interface LayoutReport { scenario: { events: number; bytesPer10k: number }; fanOut: { events: number; copies: number; bytesPer10k: number } }

export function measureLayout(users = 1_000, meetings = 20): LayoutReport {
  const before = heap();
  const store = new SimStore(new ManualClock(ANCHOR));
  loadScenario(store, { seed: 5, tenants: 1, usersPerTenant: users, roomsPerTenant: Math.max(1, Math.floor(users / 10)), meetingsPerMailbox: meetings, anchorMs: ANCHOR });
  kept.push(store);
  const scenarioBytes = heap() - before;
  const scenarioEvents = store.eventCount;

  const base = heap();
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
  kept.push(fan);
  const fanBytes = heap() - base;
  kept.length = 0;
  const fanEvents = fan.eventCount;
  return {
    scenario: { events: scenarioEvents, bytesPer10k: Math.round((scenarioBytes / scenarioEvents) * 10_000) },
    fanOut: { events: fanEvents, copies: fanEvents - organised, bytesPer10k: Math.round((fanBytes / fanEvents) * 10_000) },
  };
}

if (process.argv[1]?.endsWith('sim-store-layout.ts') === true) {
  const report = measureLayout(Number(process.argv[2] ?? '1000'), Number(process.argv[3] ?? '20'));
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
