/* eslint-disable @typescript-eslint/no-explicit-any -- JSON from the wire */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { startSimFromCli, type SimCliRun } from '../../cli.js';
import { ActivityDriver } from '../../scenarios/index.js';
import { call, postForm } from './helpers.js';

const ANCHOR = Date.UTC(2026, 2, 2);
let run: SimCliRun;

beforeAll(async () => {
  run = await startSimFromCli({ users: 12, rooms: 2, seed: 42, tenants: 2, meetings: 10, anchorMs: ANCHOR, clouds: ['worldwide', 'gcc'], port: 0 });
});
afterAll(async () => run.close());

describe('hycal sim', () => {
  it('cli – seeds every tenant with the scenario generator and prints endpoints, tenant ids and the app credentials', () => {
    expect(run.tenants).toHaveLength(2);
    expect(run.tenants.map((t) => t.cloud)).toEqual(['worldwide', 'gcc']);
    expect(run.scenario.counts.mailboxes).toBe(2 * 14);
    expect(run.sim.store.eventCount).toBe(run.scenario.counts.events);
    const text = run.lines.join('\n');
    for (const t of run.tenants) expect(text).toContain(`${run.sim.clouds[t.cloud]?.authorityUrl}/${t.tenantId}`);
    expect(text).toContain(run.sim.clouds.gcc?.graphBaseUrl);
    expect(text).toContain(run.sim.caCertPath);
    expect(text).toContain(`client_id ${run.appId}`);
    expect(text).toContain(`client_secret ${run.clientSecret}`);
    expect(text).toContain('authorityMetadata');
  });

  it('cli – the printed app gets a token in each tenant on its cloud and reads a seeded calendar', async () => {
    for (const t of run.tenants) {
      const cloud = run.sim.clouds[t.cloud];
      expect(cloud).toBeDefined();
      const url = `${cloud?.authorityUrl}/${t.tenantId}/oauth2/v2.0/token`;
      const token = await postForm(run.sim, url, { grant_type: 'client_credentials', client_id: run.appId, client_secret: run.clientSecret, scope: 'https://graph.microsoft.com/.default' });
      expect(token.status).toBe(200);
      const tenant = run.scenario.tenants.find((x) => x.id === t.tenantId);
      const user = tenant?.users.find((u) => !tenant.unlicensed.includes(u)) ?? '';
      const view = await call(run.sim, 'GET', `${cloud?.graphBaseUrl}/v1.0/users/${user}/calendarView?startDateTime=2026-02-20T00:00:00Z&endDateTime=2026-04-10T00:00:00Z&$top=100`, { token: token.body.access_token as string });
      expect(view.status).toBe(200);
      expect((view.body.value as any[]).length).toBeGreaterThan(0);
    }
  });

  it('store – listInstanceIds lists a series\' occurrences like instances; the driver uses it to cancel single occurrences', () => {
    const tenant = run.scenario.tenants[0];
    const store = run.sim.store;
    const mailboxes = (tenant?.users ?? []).map((u) => store.requireMailbox(tenant?.id ?? '', u));
    const mbx = mailboxes.find((m) => [...m.events.values()].some((e) => e.recurrence !== null));
    expect(mbx).toBeDefined();
    if (mbx === undefined) return;
    const master = [...mbx.events.values()].find((e) => e.recurrence !== null);
    const from = ANCHOR - 30 * 86_400_000;
    const to = ANCHOR + 60 * 86_400_000;
    const ids = store.listInstanceIds(mbx.tenantId, mbx.id, master?.id ?? '', from, to);
    expect(ids).toEqual(store.instances(mbx, master?.id ?? '', from, to).map((v) => v.id));
    const single = [...mbx.events.values()].find((e) => e.recurrence === null);
    expect(store.listInstanceIds(mbx.tenantId, mbx.id, single?.id ?? '', from, to)).toEqual([]);

    const driver = new ActivityDriver({
      target: store, tenants: run.scenario.tenants, seed: 5, ratePerSecond: 10, clock: new ManualClock(ANCHOR), anchorMs: ANCHOR, roomCopies: false,
      mix: { create: 0, update: 0, delete: 0, toggleOutOfOffice: 0, cancel: 1 },
    });
    const records = driver.step(300);
    const occurrences = records.filter((r) => r.op === 'cancel' && r.detail === 'occurrence' && r.error === undefined);
    expect(occurrences.length).toBeGreaterThan(0);
    const one = occurrences[0];
    expect(() => store.getView(store.requireMailbox(one?.tenantId ?? '', one?.mailboxId ?? ''), one?.eventId ?? '')).toThrow(/not found/);
  });
});
