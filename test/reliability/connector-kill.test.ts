import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utcDay } from '../../connectors/graph/mailbox/state.js';
import type { GraphNotification } from '../../schemas/index.js';
import type { GraphSimulator } from '@hybrid-calendar/sim-graph';
import { APP, SECRET, TENANT, startSeeded } from '../../sim/graph/test/unit/helpers.js';
import { Canaries } from '../support/canary.js';
import { waitFor } from '../integration/runtime/helpers.js';
import { ConnectorRig } from './connector-rig.js';
import { recordOutcome } from './summary.js';

/**
 * The connector SIGKILLed mid-sync (issue 13, point 10): the mailbox actors run in a child process
 * configured from HYCAL_CONNECTOR_* variables (as `hycal connector --mailboxes-only`), against the
 * simulator and the real stack. It is killed once during the initial sync of every mailbox and
 * once during the incremental delta rounds a `missed` lifecycle notification starts, restarted
 * each time, and the raw stream (unsealed here) must end with every event of the simulator's
 * calendars at its latest version and every deletion present. Duplicates on `calendar.raw.v1`
 * are allowed (at-least-once; the parse stage collapses them) and counted.
 */
const MAILBOXES = 12;
const EVENTS = 40;
/** One activation at a time per worker and slow Graph answers, so a kill lands between mailboxes. */
const RUNTIME = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, rebalanceTimeoutMs: 10_000, commitIntervalMs: 500, drainTimeoutMs: 5_000, maxConcurrentKeys: 2 };

const say = (line: string): void => {
  if (process.env['HC_TEST_VERBOSE'] === '1') process.stderr.write(`connector-kill: ${line}\n`);
};
const mailboxId = (m: number): string => `0b0b0b0b-0000-4000-8000-${String(m + 1).padStart(12, '0')}`;

describe('connector – SIGKILL mid-sync (reliability)', () => {
  const canaries = new Canaries();
  let sim: GraphSimulator;
  let rig: ConnectorRig;
  const started = Date.now();

  beforeAll(async () => {
    sim = await startSeeded({ clouds: ['worldwide'] });
    const day = utcDay(Date.now());
    for (let m = 0; m < MAILBOXES; m += 1) {
      sim.store.addMailbox(TENANT, { id: mailboxId(m), userPrincipalName: `k${m}@contoso.com`, displayName: `K ${m}`, mail: `k${m}@contoso.com`, kind: 'user', mailboxEnabled: true, mailboxSettings: {} });
      for (let e = 0; e < EVENTS; e += 1) {
        const start = day + ((e % 30) + 1) * 86_400_000 + (8 + (e % 9)) * 3_600_000;
        sim.store.addEvent(TENANT, mailboxId(m), {
          subject: canaries.make('subject'), location: { displayName: canaries.make('location') },
          start: { dateTime: new Date(start).toISOString().slice(0, 19), timeZone: 'UTC' },
          end: { dateTime: new Date(start + 1_800_000).toISOString().slice(0, 19), timeZone: 'UTC' },
        });
      }
    }
    rig = await ConnectorRig.start(
      { sim, tenantId: TENANT, appId: APP, secret: SECRET, mailboxIds: Array.from({ length: MAILBOXES }, (_, m) => mailboxId(m)) },
      { name: 'ckill', runtime: RUNTIME, webhook: 'stub' },
    );
  });

  afterAll(async () => {
    await rig?.close();
    await sim?.close();
  });

  it('connector – killed mid initial sync and mid incremental delta, restarted, the raw stream holds every event at its latest version and every deletion', async () => {
    // Phase 1: initial sync, SIGKILL once some mailboxes are synced and others are not.
    sim.admin.setFaults({ latencyMs: 250 });
    let child = rig.spawn();
    await rig.activateAll();
    const atFirstKill = await waitFor('the first synced mailboxes', async () => {
      const count = await rig.rawCount();
      const activated = (await rig.statuses()).filter((s) => s.status === 'ACTIVATED').length;
      return count > 0 ? { count, activated } : undefined;
    }, 120_000, 100);
    await rig.kill(child);
    say(`killed mid initial sync: ${JSON.stringify(atFirstKill)}`);
    expect(atFirstKill.activated).toBeLessThan(MAILBOXES);
    sim.admin.setFaults({ latencyMs: 0 });
    child = rig.spawn();
    await waitFor('every mailbox activated after the restart', async () => {
      const docs = await rig.statuses();
      return docs.length === MAILBOXES && docs.every((d) => d.status === 'ACTIVATED') ? true : undefined;
    }, 180_000);

    say('every mailbox activated after the restart');
    // Phase 2: changes nobody is notified of (the hook drops them), a `missed` lifecycle
    // notification per mailbox, SIGKILL while the incremental rounds run.
    const deleted = new Set<string>();
    for (let m = 0; m < MAILBOXES; m += 1) {
      const ids = sim.store.listEventIds(TENANT, mailboxId(m));
      for (const id of ids.slice(0, 5)) sim.store.updateEvent(TENANT, mailboxId(m), id, { subject: canaries.make('subject') });
      for (const id of ids.slice(5, 8)) {
        sim.store.deleteEvent(TENANT, mailboxId(m), id);
        deleted.add(id);
      }
      const start = utcDay(Date.now()) + 3 * 86_400_000 + m * 3_600_000;
      for (let k = 0; k < 3; k += 1) {
        sim.store.createEvent(TENANT, mailboxId(m), {
          subject: canaries.make('subject'),
          start: { dateTime: new Date(start + k * 600_000).toISOString().slice(0, 19), timeZone: 'UTC' },
          end: { dateTime: new Date(start + k * 600_000 + 300_000).toISOString().slice(0, 19), timeZone: 'UTC' },
        });
      }
    }
    const beforeMissed = await rig.rawCount();
    sim.admin.setFaults({ latencyMs: 400 });
    const missedAt = Date.now();
    const missed = (m: number): { key: string; value: GraphNotification } => ({
      key: `${TENANT}/${mailboxId(m)}`,
      value: { tenantId: TENANT, mailboxId: mailboxId(m), kind: 'LIFECYCLE', changeType: 'NONE', lifecycleEvent: 'MISSED', command: 'NONE', subscriptionId: null, eventId: null, changeKey: null, receivedAt: Date.now() },
    });
    await rig.sink.send(Array.from({ length: MAILBOXES }, (_, m) => missed(m)));
    const atSecondKill = await waitFor('the first incremental rounds', async () => {
      const count = await rig.rawCount();
      const synced = (await rig.statuses()).filter((s) => (s.lastSyncAt ?? 0) >= missedAt).length;
      return count > beforeMissed ? { count: count - beforeMissed, synced } : undefined;
    }, 120_000, 100);
    await rig.kill(child);
    say(`killed mid incremental delta: ${JSON.stringify(atSecondKill)}`);
    expect(atSecondKill.synced).toBeLessThan(MAILBOXES);
    sim.admin.setFaults({ latencyMs: 0 });
    rig.spawn();
    await waitFor('every mailbox reconciled after the restart', async () => {
      const docs = await rig.statuses();
      return docs.length === MAILBOXES && docs.every((d) => d.status === 'ACTIVATED' && (d.lastSyncAt ?? 0) >= missedAt) ? true : undefined;
    }, 180_000);

    say('every mailbox reconciled after the restart');
    // The raw stream, unsealed, against the simulator.
    const raw = await rig.compareRaw();
    for (const { live, expected } of raw.mailboxes) expect(live).toEqual(expected);
    const deletionsPresent = [...deleted].filter((id) => raw.last.has(id) && raw.last.get(id) === null).length;
    const { missing, stale, duplicates } = raw;
    expect(missing).toBe(0);
    expect(stale).toBe(0);
    expect(deletionsPresent).toBe(deleted.size);
    const scanned = await rig.expectNoLeaks(canaries);
    expect(scanned.records).toBeGreaterThan(0);
    const changes = raw.expectedEvents + deleted.size;
    recordOutcome({
      scenario: 'connector SIGKILL mid-sync',
      survived: `SIGKILL mid initial sync (${atFirstKill.activated}/${MAILBOXES} mailboxes activated) and mid incremental delta (${atSecondKill.synced}/${MAILBOXES} reconciled), restart each time`,
      changes, lost: missing + stale, appliedTwice: duplicates, viewsEqualModel: missing === 0 && stale === 0, canaryHits: 0, passed: true,
      seconds: Math.round((Date.now() - started) / 1000),
      notes: `raw stream vs simulator: ${raw.records} raw records, ${duplicates} duplicates (at-least-once on calendar.raw.v1; "applied twice" counts them), ${deletionsPresent}/${deleted.size} deletions present`,
    });
  });
});
