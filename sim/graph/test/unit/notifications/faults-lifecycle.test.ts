import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../../clock.js';
import type { NotificationHub } from '../../../notifications/index.js';
import { SimGraphError, type ResourceChange } from '../../../model.js';
import { makeCert, Receiver, type TestCert } from './receiver.js';
import { ALICE, APP, HOUR, MINUTE, OTHER_TENANT, TENANT, appCaller, makeHub, newClock, otherAppCaller, subscriptionBody } from './fixtures.js';

let cert: TestCert;
let receiver: Receiver;
let clock: ManualClock;
let hub: NotificationHub;

beforeAll(async () => {
  cert = await makeCert();
  receiver = await Receiver.start(cert);
});
afterAll(async () => {
  await receiver.close();
});
beforeEach(() => {
  receiver.reset();
  clock = newClock();
  hub = makeHub(clock, cert);
});
afterEach(async () => {
  await hub.stop();
});

function change(eventId: string, changeType: ResourceChange['changeType'] = 'updated'): ResourceChange {
  return { tenantId: TENANT, mailboxId: ALICE, changeType, eventId, at: clock.now() };
}

async function subscribe(overrides: Record<string, unknown> = {}, caller = appCaller): Promise<string> {
  const created = await hub.create(caller, subscriptionBody(receiver, clock, {
    expirationDateTime: new Date(clock.now() + 4000 * MINUTE).toISOString(),
    lifecycleNotificationUrl: receiver.url('/lifecycle'),
    ...overrides,
  }));
  receiver.posts.length = 0;
  return created['id'] as string;
}

function ids(items: Record<string, unknown>[]): string[] {
  return items.map((i) => (i['resourceData'] as { id: string }).id);
}

function lifecycleEvents(): string[] {
  return receiver.items('/lifecycle').map((i) => i['lifecycleEvent'] as string);
}

describe('notifications – faults', () => {
  it('notifications – drops every notification at dropRate 1 and sends one `missed` lifecycle event', async () => {
    const id = await subscribe();
    hub.setFaults({ dropRate: 1 });
    for (let i = 0; i < 3; i += 1) hub.publish(change(`E${i}`));
    await hub.flush();
    expect(receiver.items()).toEqual([]);
    expect(receiver.items('/lifecycle')).toEqual([
      {
        subscriptionId: id,
        subscriptionExpirationDateTime: new Date(clock.now() + 4000 * MINUTE).toISOString().replace(/\.(\d{3})Z$/, '.$10000+00:00'),
        tenantId: TENANT,
        clientState: 'secretClientValue',
        lifecycleEvent: 'missed',
      },
    ]);
    // A later loss, after the first `missed` was delivered, is reported again.
    hub.publish(change('E9'));
    await hub.flush();
    expect(lifecycleEvents()).toEqual(['missed', 'missed']);
  });

  it('notifications – drops about the chosen share, the same events for the same seed', async () => {
    const run = async (seed: number): Promise<string[]> => {
      receiver.posts.length = 0;
      const seeded = makeHub(newClock(), cert, { seed });
      await seeded.create(appCaller, subscriptionBody(receiver, clock));
      seeded.setFaults({ dropRate: 0.3 });
      for (let i = 0; i < 400; i += 1) seeded.publish(change(`E${i}`));
      await seeded.flush();
      const delivered = ids(receiver.items());
      expect(delivered.length + seeded.stats().droppedByFault).toBe(400);
      await seeded.stop();
      return delivered;
    };
    const first = await run(7);
    expect(first.length).toBeGreaterThan(400 * 0.6);
    expect(first.length).toBeLessThan(400 * 0.8);
    expect(await run(7)).toEqual(first);
    expect(await run(8)).not.toEqual(first);
  });

  it('notifications – sends each notification twice at duplicateRate 1', async () => {
    await subscribe();
    hub.setFaults({ duplicateRate: 1 });
    hub.publish(change('E1', 'created'));
    hub.publish(change('E2'));
    await hub.flush();
    expect(ids(receiver.items()).sort()).toEqual(['E1', 'E1', 'E2', 'E2']);
    expect(hub.stats().duplicated).toBe(2);
  });

  it('notifications – delivers the notifications of a POST out of change order when reordering', async () => {
    await subscribe();
    hub.setFaults({ reorder: true });
    const sent = Array.from({ length: 10 }, (_, i) => `E${i}`);
    for (const e of sent) hub.publish(change(e));
    await hub.flush();
    const got = ids(receiver.items());
    expect(got).not.toEqual(sent);
    expect([...got].sort()).toEqual([...sent].sort());
  });

  it('notifications – queues notifications during an outage and delivers them when it ends', async () => {
    await subscribe();
    hub.setFaults({ outage: true });
    hub.publish(change('E1'));
    hub.publish(change('E2'));
    await hub.flush();
    clock.advance(HOUR);
    await hub.flush();
    expect(receiver.posts).toHaveLength(0);
    expect(hub.stats().queued).toBe(2);
    hub.setFaults({ outage: false });
    await hub.flush();
    expect(ids(receiver.items())).toEqual(['E1', 'E2']);
    expect(receiver.deliveries()).toHaveLength(1);
  });

  it('notifications – loses notifications older than 4 hours in an outage and reports `missed` when it ends', async () => {
    const id = await subscribe();
    hub.setFaults({ outage: true });
    hub.publish(change('OLD'));
    clock.advance(3 * HOUR);
    hub.publish(change('RECENT'));
    clock.advance(HOUR);
    await hub.flush();
    expect(receiver.posts).toHaveLength(0);
    hub.setFaults({ outage: false });
    await hub.flush();
    expect(ids(receiver.items())).toEqual(['RECENT']);
    expect(receiver.items('/lifecycle')).toEqual([expect.objectContaining({ subscriptionId: id, lifecycleEvent: 'missed' })]);
  });

  it('notifications – adds the extra latency to new notifications', async () => {
    await subscribe();
    hub.setFaults({ extraLatencyMs: 90_000 });
    hub.publish(change('E1'));
    await hub.flush();
    clock.advance(89_999);
    await hub.flush();
    expect(receiver.items()).toEqual([]);
    clock.advance(1);
    await hub.flush();
    expect(ids(receiver.items())).toEqual(['E1']);
    expect(hub.faults.extraLatencyMs).toBe(90_000);
  });

  it('notifications – refuses fault values out of range', () => {
    expect(() => hub.setFaults({ dropRate: 1.5 })).toThrow(SimGraphError);
    expect(() => hub.setFaults({ duplicateRate: -0.1 })).toThrow(SimGraphError);
    expect(() => hub.setFaults({ extraLatencyMs: Number.NaN })).toThrow(SimGraphError);
    expect(hub.faults).toEqual({ dropRate: 0, duplicateRate: 0, reorder: false, outage: false, extraLatencyMs: 0 });
  });
});

describe('notifications – lifecycle events', () => {
  it('notifications – asks for reauthorization when the token is revoked and pauses delivery until reauthorized', async () => {
    const id = await subscribe();
    hub.onTokenRevoked(TENANT, APP);
    hub.publish(change('HELD'));
    await hub.flush();
    expect(receiver.items()).toEqual([]);
    expect(receiver.items('/lifecycle')).toEqual([
      expect.objectContaining({ subscriptionId: id, tenantId: TENANT, clientState: 'secretClientValue', lifecycleEvent: 'reauthorizationRequired' }),
    ]);
    hub.reauthorize(appCaller, id);
    await hub.flush();
    expect(ids(receiver.items())).toEqual(['HELD']);
  });

  it('notifications – repeats the request every 15 minutes, then removes the subscription an hour after the revocation', async () => {
    const id = await subscribe();
    hub.onTokenRevoked(TENANT, APP);
    hub.publish(change('NEVER'));
    for (let t = 0; t <= 60; t += 5) {
      await hub.flush();
      clock.advance(5 * MINUTE);
    }
    expect(lifecycleEvents()).toEqual(['reauthorizationRequired', 'reauthorizationRequired', 'reauthorizationRequired', 'reauthorizationRequired', 'subscriptionRemoved']);
    expect(receiver.items()).toEqual([]);
    expect(() => hub.get(appCaller, id)).toThrow(expect.objectContaining({ status: 404 }));
  });

  it('notifications – accepts a PATCH renewal as reauthorization', async () => {
    const id = await subscribe();
    hub.onTokenRevoked(TENANT, APP);
    hub.publish(change('HELD'));
    hub.update(appCaller, id, { expirationDateTime: new Date(clock.now() + 2 * HOUR).toISOString() });
    await hub.flush();
    expect(ids(receiver.items())).toEqual(['HELD']);
    clock.advance(2 * HOUR - MINUTE);
    await hub.flush();
    expect(hub.get(appCaller, id)['id']).toBe(id);
  });

  it('notifications – leaves other apps and tenants alone on revocation', async () => {
    await subscribe();
    const other = await subscribe({}, otherAppCaller);
    hub.onTokenRevoked(TENANT, APP);
    hub.onTokenRevoked(OTHER_TENANT, 'b0b0b0b0-0000-4000-8000-000000000002');
    hub.publish(change('E1'));
    await hub.flush();
    expect(receiver.items().map((i) => i['subscriptionId'])).toEqual([other]);
    expect(lifecycleEvents()).toEqual(['reauthorizationRequired']);
  });

  it('notifications – removes a revoked subscription without lifecycle URL silently after the grace period', async () => {
    const id = await subscribe({ lifecycleNotificationUrl: undefined });
    hub.onTokenRevoked(TENANT, APP);
    clock.advance(HOUR);
    await hub.flush();
    expect(receiver.posts).toEqual([]);
    expect(() => hub.get(appCaller, id)).toThrow(expect.objectContaining({ status: 404 }));
  });

  it('notifications – reminds to reauthorize during the last hour before expiry until the subscription is renewed', async () => {
    const id = await subscribe({ expirationDateTime: new Date(clock.now() + 90 * MINUTE).toISOString() });
    await hub.flush();
    expect(lifecycleEvents()).toEqual([]);
    clock.advance(30 * MINUTE);
    await hub.flush();
    clock.advance(15 * MINUTE);
    await hub.flush();
    expect(lifecycleEvents()).toEqual(['reauthorizationRequired', 'reauthorizationRequired']);
    hub.update(appCaller, id, { expirationDateTime: new Date(clock.now() + 3 * HOUR).toISOString() });
    clock.advance(30 * MINUTE);
    await hub.flush();
    expect(lifecycleEvents()).toHaveLength(2);
  });
});
