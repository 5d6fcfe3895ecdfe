import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { ManualClock } from '../../../clock.js';
import { ActivityDriver, KEYWORD_LOCATIONS, ScenarioOptionsError, loadScenario } from '../../../scenarios/index.js';
import type { ActivityDriverOptions, RoomCopyLink, ScenarioSummary } from '../../../scenarios/index.js';
import { RecordingSink } from './recording-sink.js';

const ANCHOR = Date.UTC(2026, 2, 20, 9, 0, 0);

function setup(extra: Partial<ActivityDriverOptions> = {}, withInstances = true): { sink: RecordingSink; summary: ScenarioSummary; driver: ActivityDriver; clock: ManualClock } {
  const sink = new RecordingSink();
  const summary = loadScenario(sink, { seed: 99, tenants: 2, usersPerTenant: 12, roomsPerTenant: 3, meetingsPerMailbox: 6, anchorMs: ANCHOR });
  const clock = new ManualClock(ANCHOR);
  const target = withInstances ? sink : bindTarget(sink);
  const driver = new ActivityDriver({ target, tenants: summary.tenants, seed: 5, ratePerSecond: 100, clock, anchorMs: ANCHOR, ...extra });
  return { sink, summary, driver, clock };
}

/** The sink's ActivityTarget methods without the optional instance listing. */
function bindTarget(sink: RecordingSink): ActivityDriverOptions['target'] {
  return {
    listMailboxes: (t) => sink.listMailboxes(t),
    listEventIds: (t, m) => sink.listEventIds(t, m),
    createEvent: (t, m, e) => sink.createEvent(t, m, e),
    updateEvent: (t, m, id, p) => sink.updateEvent(t, m, id, p),
    cancelEvent: (t, m, id) => sink.cancelEvent(t, m, id),
    deleteEvent: (t, m, id) => sink.deleteEvent(t, m, id),
    setAutomaticReplies: (t, m, s) => sink.setAutomaticReplies(t, m, s),
  };
}

describe('activity driver', () => {
  it('activity – the same seed drives the same actions in the same order', () => {
    const a = setup();
    const b = setup();
    const ra = a.driver.step(400);
    const rb = b.driver.step(400);
    expect(JSON.stringify(rb)).toBe(JSON.stringify(ra));
    expect(JSON.stringify(b.sink.activity)).toBe(JSON.stringify(a.sink.activity));
    expect(JSON.stringify([...b.sink.replies])).toBe(JSON.stringify([...a.sink.replies]));
    const c = setup({ seed: 6 });
    expect(JSON.stringify(c.driver.step(400))).not.toBe(JSON.stringify(ra));
  });

  it('activity – creates, edits of every kind, occurrence and whole cancels, deletes and out-of-office toggles all happen', () => {
    const { driver, sink, summary } = setup();
    const rooms = new Set(summary.tenants.flatMap((t) => t.rooms));
    const records = driver.step(1500);
    const stats = driver.stats();
    for (const key of [
      'create.single', 'create.series', 'update.move', 'update.subject', 'update.location', 'update.attendees', 'update.keyword',
      'cancel.occurrence', 'cancel.event', 'delete.event', 'toggleOutOfOffice.alwaysEnabled', 'toggleOutOfOffice.scheduled', 'toggleOutOfOffice.disabled',
    ]) {
      expect(stats[key], key).toBeGreaterThan(0);
    }
    expect(stats['total']).toBe(1500);
    expect(stats['errors'] ?? 0).toBe(0);
    expect(records.every((r) => r.error === undefined)).toBe(true);
    expect(sink.activity.some((a) => a.op === 'cancelOccurrence')).toBe(true);
    const keywordPatches = sink.activity.filter((a) => a.op === 'update' && !rooms.has(a.mailboxId) && a.patch?.location !== undefined && KEYWORD_LOCATIONS.includes(a.patch.location.displayName ?? ''));
    expect(keywordPatches.length).toBe(stats['update.keyword']);
  });

  it('activity – acts only on licensed mailboxes and creates meetings in the coming weeks, with the room copy', () => {
    const { driver, sink, summary } = setup({ mix: { create: 1, update: 0, cancel: 0, delete: 0, toggleOutOfOffice: 0 } });
    const unlicensed = new Set(summary.tenants.flatMap((t) => t.unlicensed));
    const rooms = new Set(summary.tenants.flatMap((t) => t.rooms));
    const records = driver.step(200);
    expect(records.every((r) => r.op === 'create' && !unlicensed.has(r.mailboxId) && !rooms.has(r.mailboxId))).toBe(true);
    const created = sink.addedEvents().slice(-records.length * 2);
    const own = created.filter((e) => records.some((r) => r.eventId === e.id));
    expect(own).toHaveLength(200);
    let soon = 0;
    for (const e of own) {
      const start = DateTime.fromISO(e.event.start!.dateTime, { zone: 'UTC' }).toMillis();
      if (start >= ANCHOR - 2 * 86_400_000 && start <= ANCHOR + 16 * 86_400_000) soon += 1;
    }
    expect(soon / own.length).toBeGreaterThan(0.8);
    const roomCopies = sink.activity.filter((a) => a.op === 'create' && rooms.has(a.mailboxId));
    expect(roomCopies.length).toBeGreaterThan(0);
  });

  it('activity – out-of-office toggles include scheduled windows around now', () => {
    const { driver, sink, clock } = setup({ mix: { create: 0, update: 0, cancel: 0, delete: 0, toggleOutOfOffice: 1 } });
    clock.advance(3_600_000);
    driver.step(300);
    const scheduled = [...sink.replies.values()].filter((r) => r.status === 'scheduled');
    expect(scheduled.length).toBeGreaterThan(0);
    const now = ANCHOR + 3_600_000;
    let around = 0;
    for (const r of scheduled) {
      const zone = r.scheduledStartDateTime!.timeZone.includes('/') ? r.scheduledStartDateTime!.timeZone : undefined;
      const start = zone === undefined ? null : DateTime.fromISO(r.scheduledStartDateTime!.dateTime, { zone }).toMillis();
      if (start !== null && Math.abs(start - now) <= 3_600_000) around += 1;
      expect(r.scheduledEndDateTime!.dateTime > r.scheduledStartDateTime!.dateTime).toBe(true);
    }
    expect(around).toBeGreaterThan(0);
  });

  it('activity – with the scenario\'s room-copy links, cancelling a meeting also cancels its copy in the room', () => {
    const sink = new RecordingSink();
    const links: RoomCopyLink[] = [];
    const summary = loadScenario(sink, { seed: 99, usersPerTenant: 6, roomsPerTenant: 3, meetingsPerMailbox: 10, anchorMs: ANCHOR, onRoomCopy: (l) => links.push(l) });
    expect(links.length).toBeGreaterThan(0);
    for (const l of links) expect(sink.listEventIds(l.tenantId, l.roomMailboxId)).toContain(l.roomEventId);
    const driver = new ActivityDriver({
      target: bindTarget(sink), tenants: summary.tenants, seed: 2, ratePerSecond: 1, anchorMs: ANCHOR, clock: new ManualClock(ANCHOR),
      mix: { create: 0, update: 0, cancel: 1, delete: 0, toggleOutOfOffice: 0 }, roomCopyLinks: links,
    });
    const records = driver.step(60);
    const cancelled = new Set(records.filter((r) => r.op === 'cancel').map((r) => `${r.mailboxId}/${r.eventId}`));
    const hit = links.filter((l) => cancelled.has(`${l.organizerMailboxId}/${l.eventId}`));
    expect(hit.length).toBeGreaterThan(0);
    for (const l of hit) expect(sink.listEventIds(l.tenantId, l.roomMailboxId)).not.toContain(l.roomEventId);
    for (const l of links.filter((x) => !cancelled.has(`${x.organizerMailboxId}/${x.eventId}`))) {
      expect(sink.listEventIds(l.tenantId, l.roomMailboxId)).toContain(l.roomEventId);
    }
  });

  it('activity – without instance listing, cancels act on whole events', () => {
    const { driver } = setup({ mix: { create: 0, update: 0, cancel: 1, delete: 0, toggleOutOfOffice: 0 } }, false);
    const records = driver.step(100);
    expect(records.every((r) => r.op === 'create' || r.detail === 'event' || r.detail === 'series')).toBe(true);
    expect(records.some((r) => r.op === 'cancel')).toBe(true);
  });

  it('activity – start() runs actions at the chosen rate measured on the clock, and stop() ends them', async () => {
    const seen: number[] = [];
    const { driver, clock } = setup({ ratePerSecond: 40, tickMs: 2, onRecord: (r) => seen.push(r.seq) });
    driver.start();
    clock.advance(1000);
    await waitFor(() => seen.length >= 40);
    await sleep(20);
    expect(seen.length).toBe(40);
    clock.advance(500);
    await waitFor(() => seen.length >= 60);
    await sleep(20);
    expect(seen.length).toBe(60);
    await driver.stop();
    clock.advance(10_000);
    await sleep(30);
    expect(seen.length).toBe(60);
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });

  it('activity – a target that refuses is recorded as an error and the driver goes on', () => {
    const sink = new RecordingSink();
    const summary = loadScenario(sink, { seed: 3, usersPerTenant: 5, roomsPerTenant: 1, meetingsPerMailbox: 3, anchorMs: ANCHOR });
    const target = { ...bindTarget(sink), updateEvent: () => { throw Object.assign(new Error('gone'), { graphCode: 'ErrorItemNotFound' }); } };
    const driver = new ActivityDriver({ target, tenants: summary.tenants, seed: 1, ratePerSecond: 10, anchorMs: ANCHOR, clock: new ManualClock(ANCHOR), mix: { create: 0, update: 1, cancel: 0, delete: 0, toggleOutOfOffice: 0 } });
    const records = driver.step(20);
    expect(records).toHaveLength(20);
    expect(records.filter((r) => r.error === 'ErrorItemNotFound').length).toBeGreaterThan(0);
    expect(driver.stats()['errors']).toBe(records.filter((r) => r.error !== undefined).length);
  });

  it('activity – bad options fail with HC_ERR_SIM_SCENARIO_OPTIONS naming the option', () => {
    const sink = new RecordingSink();
    const summary = loadScenario(sink, { seed: 3, usersPerTenant: 2, roomsPerTenant: 0, meetingsPerMailbox: 1, anchorMs: ANCHOR });
    const bad: [Partial<ActivityDriverOptions>, string][] = [
      [{ ratePerSecond: 0 }, 'ratePerSecond'],
      [{ mix: { create: -1 } }, 'mix.create'],
      [{ mix: { create: 0, update: 0, cancel: 0, delete: 0, toggleOutOfOffice: 0 } }, 'mix'],
      [{ tenants: [] }, 'tenants'],
      [{ seed: 1.5 }, 'seed'],
    ];
    for (const [opts, name] of bad) {
      let caught: unknown;
      try {
        new ActivityDriver({ target: sink, tenants: summary.tenants, seed: 1, ratePerSecond: 1, anchorMs: ANCHOR, ...opts });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ScenarioOptionsError);
      expect((caught as ScenarioOptionsError).code).toBe('HC_ERR_SIM_SCENARIO_OPTIONS');
      expect((caught as Error).message).toContain(name);
    }
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await sleep(2);
  }
}
