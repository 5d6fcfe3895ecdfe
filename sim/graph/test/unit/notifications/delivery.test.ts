import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemClock, type ManualClock } from '../../../clock.js';
import { NotificationHub, type NotificationTimingsInput } from '../../../notifications/index.js';
import type { ResourceChange } from '../../../model.js';
import { graphFriendly, makeCert, Receiver, type TestCert } from './receiver.js';
import { ALICE, BOB, HOUR, MINUTE, TENANT, appCaller, makeHub, newClock, otherAppCaller, resolveMailbox, subscriptionBody } from './fixtures.js';

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

function change(changeType: ResourceChange['changeType'], eventId: string, mailboxId = ALICE): ResourceChange {
  return { tenantId: TENANT, mailboxId, changeType, eventId, at: clock.now() };
}

async function subscribe(overrides: Record<string, unknown> = {}, on: NotificationHub = hub): Promise<string> {
  const created = await on.create(appCaller, subscriptionBody(receiver, clock, { expirationDateTime: new Date(clock.now() + 4000 * MINUTE).toISOString(), ...overrides }));
  receiver.posts.length = 0;
  return created['id'] as string;
}

/** Answers notification POSTs to /notify with `status`, everything else as a well-behaved receiver. */
function failNotify(status: number | (() => number)): void {
  receiver.respond = (post) =>
    post.path === '/notify' && !post.query.has('validationToken')
      ? { status: typeof status === 'number' ? status : status() }
      : graphFriendly(post);
}

function ids(items: Record<string, unknown>[]): string[] {
  return items.map((i) => (i['resourceData'] as { id: string }).id);
}

describe('notifications – delivery', () => {
  it('notifications – posts a changeNotificationCollection in Graph\'s shape to the notificationUrl with its query string', async () => {
    const id = await subscribe({ notificationUrl: receiver.url('/notify?tenant=t1&route=cal') });
    hub.publish(change('created', 'AAMkEvent1='));
    await hub.flush();
    const posts = receiver.deliveries();
    expect(posts).toHaveLength(1);
    expect(posts[0]!.rawUrl).toBe('/notify?tenant=t1&route=cal');
    expect(posts[0]!.contentType).toMatch(/^application\/json/);
    const body = JSON.parse(posts[0]!.body) as { value: Record<string, unknown>[] };
    expect(Object.keys(body)).toEqual(['value']);
    expect(body.value).toHaveLength(1);
    expect(body.value[0]).toMatchObject({
      subscriptionId: id,
      subscriptionExpirationDateTime: new Date(clock.now() + 4000 * MINUTE).toISOString().replace(/\.(\d{3})Z$/, '.$10000+00:00'),
      changeType: 'created',
      resource: `Users/${ALICE}/Events/AAMkEvent1=`,
      resourceData: {
        '@odata.type': '#Microsoft.Graph.Event',
        '@odata.id': `Users/${ALICE}/Events/AAMkEvent1=`,
        id: 'AAMkEvent1=',
      },
      clientState: 'secretClientValue',
      tenantId: TENANT,
    });
    expect((body.value[0]!['resourceData'] as Record<string, string>)['@odata.etag']).toMatch(/^W\/".+"$/);
  });

  it('notifications – uses the event\'s changeKey as @odata.etag when the store reports one', async () => {
    await subscribe();
    hub.publish({ ...change('updated', 'E1'), changeKey: 'DwAAABYAAAB5' });
    await hub.flush();
    expect((receiver.items()[0]!['resourceData'] as Record<string, string>)['@odata.etag']).toBe('W/"DwAAABYAAAB5"');
  });

  it('notifications – batches several notifications, of several subscriptions, into one POST in change order', async () => {
    const a = await subscribe();
    const b = await subscribe({ resource: `/users/${BOB}/events` });
    for (let i = 1; i <= 4; i += 1) hub.publish(change('updated', `A${i}`));
    hub.publish(change('deleted', 'B1', BOB));
    await hub.flush();
    expect(receiver.deliveries()).toHaveLength(1);
    const items = receiver.items();
    expect(ids(items)).toEqual(['A1', 'A2', 'A3', 'A4', 'B1']);
    expect(items.map((i) => i['subscriptionId'])).toEqual([a, a, a, a, b]);
    expect(items[4]!['changeType']).toBe('deleted');
  });

  it('notifications – splits large bursts into POSTs of at most the batch size and loses nothing', async () => {
    await subscribe();
    for (let i = 0; i < 120; i += 1) hub.publish(change('created', `E${i}`));
    await hub.flush();
    expect(receiver.deliveries().map((p) => (JSON.parse(p.body) as { value: unknown[] }).value.length)).toEqual([50, 50, 20]);
    expect(ids(receiver.items())).toEqual(Array.from({ length: 120 }, (_, i) => `E${i}`));
  });

  it('notifications – delivers only the subscribed change types of the subscribed mailbox', async () => {
    await subscribe({ changeType: 'created' });
    hub.publish(change('updated', 'U1'));
    hub.publish(change('deleted', 'D1'));
    hub.publish(change('created', 'OTHER', BOB));
    hub.publish({ ...change('created', 'FOREIGN'), tenantId: 'another-tenant' });
    hub.publish(change('created', 'C1'));
    await hub.flush();
    expect(ids(receiver.items())).toEqual(['C1']);
  });

  it('notifications – stops delivering when a subscription expires, and removes it', async () => {
    const quick = makeHub(clock, cert);
    await quick.create(appCaller, subscriptionBody(receiver, clock, { expirationDateTime: new Date(clock.now() + 45 * MINUTE).toISOString() }));
    quick.publish(change('created', 'BEFORE'));
    await quick.flush();
    clock.advance(45 * MINUTE);
    quick.publish(change('created', 'AFTER'));
    await quick.flush();
    expect(ids(receiver.items())).toEqual(['BEFORE']);
    expect(quick.stats().subscriptions).toBe(0);
    expect(quick.list(appCaller)).toEqual([]);
    await quick.stop();
  });

  it('notifications – drops queued notifications of a subscription deleted before they were delivered', async () => {
    const id = await subscribe();
    hub.setFaults({ extraLatencyMs: MINUTE });
    hub.publish(change('created', 'E1'));
    hub.delete(appCaller, id);
    clock.advance(MINUTE);
    await hub.flush();
    expect(receiver.deliveries()).toHaveLength(0);
  });
});

describe('notifications – retries', () => {
  it('notifications – retries a failed POST with exponential backoff until it succeeds', async () => {
    await subscribe();
    let failures = 3;
    failNotify(() => (failures-- > 0 ? 500 : 202));
    hub.publish(change('created', 'E1'));
    await hub.flush();
    expect(receiver.deliveries()).toHaveLength(1);
    const waits = [MINUTE, 2 * MINUTE, 4 * MINUTE];
    for (const [n, wait] of waits.entries()) {
      clock.advance(wait - 1);
      await hub.flush();
      expect(receiver.deliveries()).toHaveLength(n + 1);
      clock.advance(1);
      await hub.flush();
      expect(receiver.deliveries()).toHaveLength(n + 2);
    }
    const bodies = receiver.deliveries().map((p) => p.body);
    expect(new Set(bodies).size).toBe(1);
    clock.advance(HOUR);
    await hub.flush();
    expect(receiver.deliveries()).toHaveLength(4);
    expect(hub.stats()).toMatchObject({ delivered: 1, retried: 3, failedPosts: 3, queued: 0 });
  });

  it('notifications – treats a POST not answered within the time-out as failed and retries it', async () => {
    const impatient = makeHub(clock, cert, { deliveryTimeoutMs: 250 });
    await subscribe({}, impatient);
    let hang = true;
    receiver.respond = (post) => (post.path === '/notify' && hang ? 'hang' : graphFriendly(post));
    impatient.publish(change('created', 'E1'));
    await impatient.flush();
    expect(impatient.stats()).toMatchObject({ failedPosts: 1, delivered: 0, queued: 1 });
    hang = false;
    // The time-out is real time (an HTTP wait): on a loaded machine even an answered retry can miss
    // 250 ms and count as one more failure, so the retry is given a few rounds within Graph's 4 hours.
    for (let round = 0; round < 5 && impatient.stats().delivered === 0; round += 1) {
      clock.advance(round === 0 ? MINUTE : 30 * MINUTE);
      await impatient.flush();
    }
    expect(impatient.stats()).toMatchObject({ delivered: 1, queued: 0 });
    await impatient.stop();
  });

  it('notifications – gives up after 4 hours of failures and reports `missed` on the lifecycle URL', async () => {
    const id = await subscribe({ lifecycleNotificationUrl: receiver.url('/lifecycle') });
    failNotify(503);
    hub.publish(change('updated', 'E1'));
    const start = clock.now();
    const attemptsAt: number[] = [];
    for (let t = 0; t <= 5 * HOUR; t += 5 * MINUTE) {
      clock.set(start + t);
      const before = receiver.deliveries().length;
      await hub.flush();
      if (receiver.deliveries().length > before) attemptsAt.push(t);
    }
    expect(attemptsAt[0]).toBe(0);
    expect(attemptsAt.some((t) => t >= 3 * HOUR)).toBe(true);
    expect(attemptsAt.every((t) => t <= 4 * HOUR)).toBe(true);
    // Gaps grow, then stay at the ceiling.
    const gaps = attemptsAt.slice(1).map((t, i) => t - attemptsAt[i]!);
    expect(gaps.slice(0, 4)).toEqual([...gaps.slice(0, 4)].sort((x, y) => x - y));
    expect(hub.stats()).toMatchObject({ givenUp: 1, queued: 0, delivered: 1 });
    const lifecycle = receiver.items('/lifecycle');
    expect(lifecycle).toEqual([
      { subscriptionId: id, subscriptionExpirationDateTime: expect.any(String), tenantId: TENANT, clientState: 'secretClientValue', lifecycleEvent: 'missed' },
    ]);
  });
});

describe('notifications – slow endpoints', () => {
  const slowTimings: NotificationTimingsInput = { slowThresholdMs: 800, deliveryTimeoutMs: 5_000 };

  /** Makes `slow` notifications arrive through one slow POST, then `fast` through quick ones. */
  async function traffic(on: NotificationHub, slow: number, fast: number): Promise<void> {
    let slowPosts = 1;
    receiver.respond = (post) =>
      post.path === '/notify' && slowPosts-- > 0 ? { status: 202, delayMs: 1_600 } : graphFriendly(post);
    for (let i = 0; i < slow; i += 1) on.publish(change('created', `S${i}`));
    await on.flush();
    expect(on.stats().endpoints.find((e) => e.url.endsWith('/notify'))?.state).toBe('healthy');
    for (let i = 0; i < fast; i += 1) on.publish(change('created', `F${i}`));
    await on.flush();
    receiver.posts.length = 0;
  }

  it('notifications – delays an endpoint with 10 % slow notifications by 10 minutes, retries included', async () => {
    const judged = makeHub(clock, cert, slowTimings);
    await subscribe({}, judged);
    await traffic(judged, 11, 89);
    expect(judged.stats().endpoints.find((e) => e.url.endsWith('/notify'))).toMatchObject({ state: 'delayed', windowTotal: 100, windowSlow: 11 });

    judged.publish(change('updated', 'LATE'));
    clock.advance(10 * MINUTE - 1);
    await judged.flush();
    expect(receiver.deliveries()).toHaveLength(0);
    failNotify(500);
    clock.advance(1);
    await judged.flush();
    expect(receiver.deliveries()).toHaveLength(1);
    // A failed delivery of a flagged endpoint waits 10 minutes, not the 1-minute first backoff.
    receiver.respond = graphFriendly;
    clock.advance(5 * MINUTE);
    await judged.flush();
    expect(receiver.deliveries()).toHaveLength(1);
    clock.advance(5 * MINUTE);
    await judged.flush();
    expect(ids(receiver.items())).toEqual(['LATE', 'LATE']);

    // A window without enough traffic clears the flag.
    clock.advance(20 * MINUTE);
    await judged.flush();
    receiver.posts.length = 0;
    judged.publish(change('updated', 'PROMPT'));
    await judged.flush();
    expect(ids(receiver.items())).toEqual(['PROMPT']);
    await judged.stop();
  });

  it('notifications – drops notifications to an endpoint with 15 % slow ones and reports `missed`', async () => {
    const judged = makeHub(clock, cert, slowTimings);
    const id = await subscribe({ lifecycleNotificationUrl: receiver.url('/lifecycle') }, judged);
    await traffic(judged, 20, 80);
    expect(judged.stats().endpoints.find((e) => e.url.endsWith('/notify'))?.state).toBe('dropping');

    judged.publish(change('updated', 'LOST1'));
    judged.publish(change('updated', 'LOST2'));
    await judged.flush();
    clock.advance(10 * MINUTE);
    await judged.flush();
    expect(receiver.items()).toEqual([]);
    expect(judged.stats().droppedSlowEndpoint).toBe(2);
    expect(receiver.items('/lifecycle')).toEqual([expect.objectContaining({ subscriptionId: id, lifecycleEvent: 'missed' })]);

    clock.advance(20 * MINUTE);
    await judged.flush();
    judged.publish(change('updated', 'BACK'));
    await judged.flush();
    expect(ids(receiver.items())).toEqual(['BACK']);
    await judged.stop();
  });

  it('notifications – does not judge an endpoint before it received 100 notifications', async () => {
    const judged = makeHub(clock, cert, slowTimings);
    await subscribe({}, judged);
    await traffic(judged, 30, 60);
    expect(judged.stats().endpoints.find((e) => e.url.endsWith('/notify'))).toMatchObject({ state: 'healthy', windowTotal: 90 });
    await judged.stop();
  });
});

describe('notifications – running server', () => {
  it('notifications – delivers in the background with the system clock after start()', async () => {
    const live = new NotificationHub({
      clock: systemClock,
      graphBaseUrl: 'https://127.0.0.1:8443/v1.0/',
      resolveMailbox,
      caCertPem: cert.cert,
      timings: { pollIntervalMs: 20 },
    });
    await live.create(otherAppCaller, {
      changeType: 'created',
      notificationUrl: receiver.url('/notify'),
      resource: `/users/${ALICE}/events`,
      expirationDateTime: new Date(Date.now() + HOUR).toISOString(),
      clientState: 'live',
    });
    live.start();
    live.publish({ tenantId: TENANT, mailboxId: ALICE, changeType: 'created', eventId: 'LIVE1', at: Date.now() });
    for (let i = 0; i < 250 && receiver.items().length === 0; i += 1) await new Promise((r) => setTimeout(r, 20));
    await live.stop();
    expect(ids(receiver.items())).toEqual(['LIVE1']);
  });
});
