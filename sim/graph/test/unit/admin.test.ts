import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphSimulator } from '../../index.js';
import { appToken, call, startSeeded } from './helpers.js';

let sim: GraphSimulator;
let token: string;

beforeAll(async () => {
  sim = await startSeeded();
  token = await appToken(sim);
});
afterAll(async () => sim.close());

describe('sim/graph admin for notifications', () => {
  it('admin – notification faults over HTTP change the hub; a bad value is a 400 and changes nothing', async () => {
    const ok = await call(sim, 'POST', '/_sim/notifications/faults', { body: { dropRate: 0.5, outage: true } });
    expect(ok.status).toBe(204);
    expect(sim.hub.faults).toMatchObject({ dropRate: 0.5, outage: true });
    const bad = await call(sim, 'POST', '/_sim/faults', { body: { latencyMs: 5, notifications: { dropRate: 2 } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('dropRate');
    expect(sim.admin.faults.latencyMs).toBe(0);
    expect(sim.hub.faults.dropRate).toBe(0.5);
    const cleared = await call(sim, 'DELETE', '/_sim/faults');
    expect(cleared.status).toBe(204);
    expect(sim.hub.faults).toMatchObject({ dropRate: 0, outage: false });
  });

  it('admin – GET /_sim/notifications and notificationStats() report the hub', async () => {
    const stats = await call(sim, 'GET', '/_sim/notifications');
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({ subscriptions: 0, queued: 0, lifecycle: expect.any(Object) as unknown });
    expect(sim.admin.notificationStats()).toMatchObject({ subscriptions: 0 });
  });

  it('subscriptions – a listener answers contexts with its own root and version (beta too)', async () => {
    const list = await call(sim, 'GET', '/beta/subscriptions', { token });
    expect(list.status).toBe(200);
    expect(list.body['@odata.context']).toBe(`${sim.graphBaseUrl}/beta/$metadata#subscriptions`);
    expect(list.body.value).toEqual([]);
  });
});
