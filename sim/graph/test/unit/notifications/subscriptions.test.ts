import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../../clock.js';
import { NotificationHub } from '../../../notifications/index.js';
import { SimGraphError } from '../../../model.js';
import { makeCert, Receiver, type TestCert } from './receiver.js';
import {
  ALICE, APP, BOB, HOUR, MINUTE, TENANT, aliceCaller, appCaller, bobCaller, makeHub, newClock, otherAppCaller,
  otherTenantCaller, resolveMailbox, subscriptionBody,
} from './fixtures.js';

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

async function graphError(promise: Promise<unknown> | (() => unknown)): Promise<SimGraphError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    expect(error).toBeInstanceOf(SimGraphError);
    return error as SimGraphError;
  }
  throw new Error('expected a Graph error');
}

describe('notifications – validation handshake', () => {
  it('notifications – creates a subscription after the endpoint echoes the URL-decoded token as text/plain', async () => {
    const created = await hub.create(appCaller, subscriptionBody(receiver, clock, { notificationUrl: receiver.url('/notify?tenant=t1&x=a%20b') }));
    expect(created['id']).toMatch(/^[0-9a-f-]{36}$/);
    const validations = receiver.posts.filter((p) => p.query.has('validationToken'));
    expect(validations).toHaveLength(1);
    const v = validations[0]!;
    expect(v.path).toBe('/notify');
    expect(v.contentType).toMatch(/^text\/plain; charset=utf-8$/i);
    // The notificationUrl's own query string is kept and the token is URL-encoded after it.
    expect(v.rawUrl).toMatch(/^\/notify\?tenant=t1&x=a%20b&validationToken=/);
    expect(v.rawUrl).not.toContain(' ');
    expect(v.query.get('validationToken')).toMatch(/^Validation: Testing client application reachability/);
  });

  it('notifications – answers 400 ValidationError when the endpoint does not answer 200', async () => {
    receiver.respond = () => ({ status: 404 });
    const error = await graphError(hub.create(appCaller, subscriptionBody(receiver, clock)));
    expect(error.status).toBe(400);
    expect(error.graphCode).toBe('ValidationError');
    expect(error.message).toContain('must respond with 200 OK');
    expect(hub.list(appCaller)).toEqual([]);
  });

  it('notifications – rejects an echo of the still-encoded token', async () => {
    receiver.respond = (post) => ({
      status: 200,
      contentType: 'text/plain',
      body: post.rawUrl.replace(/^.*validationToken=/, ''),
    });
    const error = await graphError(hub.create(appCaller, subscriptionBody(receiver, clock)));
    expect(error.graphCode).toBe('ValidationError');
    expect(error.message).toContain('must exactly match validationToken');
  });

  it('notifications – rejects a correct token sent with a non-text content type', async () => {
    receiver.respond = (post) => ({ status: 200, contentType: 'application/json', body: post.query.get('validationToken') ?? '' });
    const error = await graphError(hub.create(appCaller, subscriptionBody(receiver, clock)));
    expect(error.graphCode).toBe('ValidationError');
  });

  it('notifications – fails the create with "timed out" when the endpoint stays silent past the limit', async () => {
    const quick = makeHub(clock, cert, { validationTimeoutMs: 300 });
    receiver.respond = () => 'hang';
    const error = await graphError(quick.create(appCaller, subscriptionBody(receiver, clock)));
    expect(error.status).toBe(400);
    expect(error.message).toBe('Subscription validation request timed out.');
    expect(quick.list(appCaller)).toEqual([]);
    await quick.stop();
  });

  it('notifications – fails validation against an endpoint whose certificate is not trusted', async () => {
    const untrusting = makeHub(clock, { key: '', cert: (await makeCert()).cert });
    const error = await graphError(untrusting.create(appCaller, subscriptionBody(receiver, clock)));
    expect(error.graphCode).toBe('ValidationError');
    await untrusting.stop();
  });

  it('notifications – reaches a receiver named localhost with the simulator CA', async () => {
    const created = await hub.create(appCaller, subscriptionBody(receiver, clock, { notificationUrl: receiver.url('/notify', 'localhost') }));
    expect(created['notificationUrl']).toBe(receiver.url('/notify', 'localhost'));
  });

  it('notifications – talks no newer TLS than latestSupportedTlsVersion allows', async () => {
    // The receiver speaks TLS 1.2+ only: a subscription capped at TLS 1.0 cannot be validated.
    const error = await graphError(hub.create(appCaller, subscriptionBody(receiver, clock, { latestSupportedTlsVersion: 'v1_0' })));
    expect(error.graphCode).toBe('ValidationError');
    const ok = await hub.create(appCaller, subscriptionBody(receiver, clock, { latestSupportedTlsVersion: 'v1_2' }));
    expect(ok['latestSupportedTlsVersion']).toBe('v1_2');
  });

  it('notifications – validates the lifecycleNotificationUrl too, with a second request when it is the same URL', async () => {
    const url = receiver.url('/notify');
    await hub.create(appCaller, subscriptionBody(receiver, clock, { notificationUrl: url, lifecycleNotificationUrl: url }));
    expect(receiver.posts.filter((p) => p.query.has('validationToken'))).toHaveLength(2);

    receiver.respond = (post) => (post.path === '/lifecycle' ? { status: 500 } : { status: 200, contentType: 'text/plain', body: post.query.get('validationToken') ?? '' });
    const error = await graphError(hub.create(appCaller, subscriptionBody(receiver, clock, { lifecycleNotificationUrl: receiver.url('/lifecycle') })));
    expect(error.graphCode).toBe('ValidationError');
    expect(hub.list(appCaller)).toHaveLength(1);
  });
});

describe('notifications – request body rules', () => {
  it('notifications – answers with the documented 201 shape', async () => {
    const body = subscriptionBody(receiver, clock, { changeType: 'created,updated', latestSupportedTlsVersion: 'v1_3' });
    const created = await hub.create(appCaller, body);
    expect(created).toMatchObject({
      '@odata.context': 'https://127.0.0.1:8443/v1.0/$metadata#subscriptions/$entity',
      resource: `/users/${ALICE}/events`,
      applicationId: APP,
      changeType: 'created,updated',
      clientState: 'secretClientValue',
      notificationUrl: receiver.url('/notify'),
      lifecycleNotificationUrl: null,
      latestSupportedTlsVersion: 'v1_3',
      notificationContentType: 'application/json',
      includeResourceData: null,
      encryptionCertificate: null,
    });
    expect(created['expirationDateTime']).toBe('2026-01-05T11:00:00.0000000Z');
    expect(typeof created['creatorId']).toBe('string');
    expect(hub.get(appCaller, created['id'] as string)).toEqual(created);
    const { '@odata.context': _context, ...listed } = created;
    expect(hub.listBody(appCaller)).toEqual({ '@odata.context': 'https://127.0.0.1:8443/v1.0/$metadata#subscriptions', value: [listed] });
  });

  it('notifications – defaults latestSupportedTlsVersion to v1_2 and records the signed-in user as creator', async () => {
    const created = await hub.create(aliceCaller, subscriptionBody(receiver, clock, { resource: 'me/events', clientState: undefined }));
    expect(created['latestSupportedTlsVersion']).toBe('v1_2');
    expect(created['creatorId']).toBe(ALICE);
    expect(created['clientState']).toBeNull();
  });

  it.each([
    ['me/events', aliceCaller],
    ['/me/calendar/events', aliceCaller],
    [`/users/${ALICE}/events`, appCaller],
    [`users/${ALICE}/calendar/events`, appCaller],
    ['/users/alice@contoso.example/events', appCaller],
    ['/users/alice%40contoso.example/calendar/events', appCaller],
  ] as const)('notifications – accepts the resource %s', async (resource, caller) => {
    const created = await hub.create(caller, subscriptionBody(receiver, clock, { resource }));
    expect(created['resource']).toBe(resource);
  });

  it.each([
    `/users/${ALICE}/events/AAMkAGI2THVSAAA=`,
    'me/events/AAMkAGI2THVSAAA=',
    `https://graph.microsoft.com/v1.0/users/${ALICE}/events`,
    `/users/${ALICE}/messages`,
    `/users/${ALICE}/events?$select=subject`,
  ])('notifications – rejects the resource %s with 400', async (resource) => {
    const error = await graphError(hub.create(appCaller, subscriptionBody(receiver, clock, { resource })));
    expect(error.status).toBe(400);
    expect(receiver.posts).toHaveLength(0);
  });

  it('notifications – answers 404 for a user the tenant does not have', async () => {
    const error = await graphError(hub.create(appCaller, subscriptionBody(receiver, clock, { resource: '/users/nobody@contoso.example/events' })));
    expect(error.status).toBe(404);
  });

  it.each([
    ['changeType', 'created,moved'],
    ['changeType', ''],
    ['notificationUrl', 'http://127.0.0.1/notify'],
    ['notificationUrl', 'not a url'],
    ['lifecycleNotificationUrl', 'http://127.0.0.1/lifecycle'],
    ['clientState', 'x'.repeat(129)],
    ['latestSupportedTlsVersion', 'v2_0'],
    ['expirationDateTime', 'tomorrow'],
    ['expirationDateTime', undefined],
    ['resurce', '/me/events'],
    ['id', 'mine'],
  ])('notifications – rejects %s = %j with 400 and no handshake', async (field, value) => {
    const body = subscriptionBody(receiver, clock);
    if (value === undefined) delete body[field];
    else body[field] = value;
    const error = await graphError(hub.create(appCaller, body));
    expect(error.status).toBe(400);
    expect(receiver.posts).toHaveLength(0);
  });

  it('notifications – accepts a clientState of exactly 128 characters', async () => {
    const created = await hub.create(appCaller, subscriptionBody(receiver, clock, { clientState: 'c'.repeat(128) }));
    expect(created['clientState']).toHaveLength(128);
  });

  it('notifications – rejects a malformed body', async () => {
    for (const body of [null, [], 'text', 42]) {
      expect((await graphError(hub.create(appCaller, body))).status).toBe(400);
    }
  });
});

describe('notifications – expiration rules', () => {
  it('notifications – raises an expiration under 45 minutes to 45 minutes from now', async () => {
    const created = await hub.create(appCaller, subscriptionBody(receiver, clock, { expirationDateTime: new Date(clock.now() + 10 * MINUTE).toISOString() }));
    expect(created['expirationDateTime']).toBe(new Date(clock.now() + 45 * MINUTE).toISOString().replace('.000Z', '.0000000Z'));
  });

  it('notifications – accepts exactly 4,230 minutes and rejects one minute more with Graph\'s error', async () => {
    const max = await hub.create(appCaller, subscriptionBody(receiver, clock, { expirationDateTime: new Date(clock.now() + 4230 * MINUTE).toISOString() }));
    expect(Date.parse(max['expirationDateTime'] as string)).toBe(clock.now() + 4230 * MINUTE);
    const error = await graphError(hub.create(appCaller, subscriptionBody(receiver, clock, { expirationDateTime: new Date(clock.now() + 4231 * MINUTE).toISOString() })));
    expect(error.status).toBe(400);
    expect(error.graphCode).toBe('ExtensionError');
    expect(error.message).toBe('Subscription expiration can only be 4230 minutes in the future.');
  });

  it('notifications – renews with PATCH under the same rules and forgets the subscription once expired', async () => {
    const created = await hub.create(appCaller, subscriptionBody(receiver, clock));
    const id = created['id'] as string;
    clock.advance(HOUR);
    const renewed = hub.update(appCaller, id, { expirationDateTime: new Date(clock.now() + 3 * HOUR).toISOString() });
    expect(Date.parse(renewed['expirationDateTime'] as string)).toBe(clock.now() + 3 * HOUR);
    expect((await graphError(() => hub.update(appCaller, id, { expirationDateTime: new Date(clock.now() + 5000 * MINUTE).toISOString() }))).graphCode).toBe('ExtensionError');
    clock.advance(3 * HOUR);
    expect((await graphError(() => hub.get(appCaller, id))).status).toBe(404);
    expect(hub.list(appCaller)).toEqual([]);
  });
});

describe('notifications – PATCH, DELETE and reauthorize', () => {
  it('notifications – refuses to add a lifecycleNotificationUrl by PATCH', async () => {
    const created = await hub.create(appCaller, subscriptionBody(receiver, clock));
    const error = await graphError(() => hub.update(appCaller, created['id'] as string, { lifecycleNotificationUrl: receiver.url('/lifecycle') }));
    expect(error.status).toBe(400);
    expect(error.message).toContain('delete the subscription and create it again');
  });

  it('notifications – refuses to PATCH read-only or fixed properties', async () => {
    const created = await hub.create(appCaller, subscriptionBody(receiver, clock));
    for (const body of [{ resource: '/me/events' }, { changeType: 'created' }, { applicationId: APP }]) {
      expect((await graphError(() => hub.update(appCaller, created['id'] as string, body))).status).toBe(400);
    }
  });

  it('notifications – validates a new notificationUrl given by PATCH before switching to it', async () => {
    const created = await hub.create(appCaller, subscriptionBody(receiver, clock));
    const id = created['id'] as string;
    receiver.posts.length = 0;
    receiver.respond = (post) => (post.path === '/broken' ? { status: 500 } : { status: 200, contentType: 'text/plain', body: post.query.get('validationToken') ?? '' });
    const error = await graphError(hub.updateWithValidation(appCaller, id, { notificationUrl: receiver.url('/broken') }));
    expect(error.graphCode).toBe('ValidationError');
    expect(hub.get(appCaller, id)['notificationUrl']).toBe(receiver.url('/notify'));
    const moved = await hub.updateWithValidation(appCaller, id, { notificationUrl: receiver.url('/moved') });
    expect(moved['notificationUrl']).toBe(receiver.url('/moved'));
    expect(receiver.posts.map((p) => p.path)).toEqual(['/broken', '/moved']);
  });

  it('notifications – deletes a subscription, after which it is not found', async () => {
    const created = await hub.create(appCaller, subscriptionBody(receiver, clock));
    const id = created['id'] as string;
    hub.delete(appCaller, id);
    expect((await graphError(() => hub.get(appCaller, id))).graphCode).toBe('ResourceNotFound');
    expect((await graphError(() => hub.delete(appCaller, id))).status).toBe(404);
    expect((await graphError(() => hub.reauthorize(appCaller, id))).status).toBe(404);
  });

  it('notifications – reauthorize succeeds for the owner and does not extend the expiry', async () => {
    const created = await hub.create(appCaller, subscriptionBody(receiver, clock));
    const id = created['id'] as string;
    hub.reauthorize(appCaller, id);
    expect(hub.get(appCaller, id)['expirationDateTime']).toBe(created['expirationDateTime']);
  });
});

describe('notifications – ownership and limits', () => {
  it('notifications – shows callers only their own app\'s subscriptions in their own tenant', async () => {
    const mine = await hub.create(appCaller, subscriptionBody(receiver, clock));
    const theirs = await hub.create(otherAppCaller, subscriptionBody(receiver, clock));
    const foreign = await hub.create(otherTenantCaller, subscriptionBody(receiver, clock, { resource: '/users/carol@fabrikam.example/events' }));
    expect(hub.list(appCaller).map((s) => s['id'])).toEqual([mine['id']]);
    expect(hub.list(otherAppCaller).map((s) => s['id'])).toEqual([theirs['id']]);
    expect(hub.list(otherTenantCaller).map((s) => s['id'])).toEqual([foreign['id']]);
    for (const action of [
      () => hub.get(appCaller, theirs['id'] as string),
      () => hub.get(appCaller, foreign['id'] as string),
      () => hub.update(appCaller, foreign['id'] as string, { expirationDateTime: new Date(clock.now() + HOUR).toISOString() }),
      () => hub.delete(otherTenantCaller, mine['id'] as string),
    ]) {
      expect((await graphError(action)).status).toBe(404);
    }
    expect(hub.list(appCaller)).toHaveLength(1);
    // Another tenant cannot even name this tenant's users.
    expect((await graphError(hub.create(otherTenantCaller, subscriptionBody(receiver, clock)))).status).toBe(404);
  });

  it('notifications – lets delegated callers subscribe only to their own mailbox and see only their own subscriptions', async () => {
    const own = await hub.create(aliceCaller, subscriptionBody(receiver, clock, { resource: 'me/events' }));
    const ownById = await hub.create(aliceCaller, subscriptionBody(receiver, clock, { resource: `/users/${ALICE}/events` }));
    const error = await graphError(hub.create(aliceCaller, subscriptionBody(receiver, clock, { resource: `/users/${BOB}/events` })));
    expect(error.status).toBe(403);
    await hub.create(bobCaller, subscriptionBody(receiver, clock, { resource: 'me/events' }));
    expect(hub.list(aliceCaller).map((s) => s['id']).sort()).toEqual([own['id'], ownById['id']].sort());
    // The app itself (application permission) sees all of its subscriptions in the tenant.
    expect(hub.list(appCaller)).toHaveLength(3);
  });

  it('notifications – refuses me/events to an application token and any resource without calendar permission', async () => {
    const meError = await graphError(hub.create(appCaller, subscriptionBody(receiver, clock, { resource: 'me/events' })));
    expect(meError.status).toBe(400);
    expect(meError.message).toContain('only valid with delegated authentication');
    const noPermission = await graphError(hub.create({ ...appCaller, roles: ['User.Read.All'] }, subscriptionBody(receiver, clock)));
    expect(noPermission.status).toBe(403);
    const delegatedWithRolesOnly = await graphError(hub.create({ ...aliceCaller, scopes: ['User.Read'], roles: ['Calendars.Read'] }, subscriptionBody(receiver, clock, { resource: 'me/events' })));
    expect(delegatedWithRolesOnly.status).toBe(403);
  });

  it('notifications – allows 1,000 active subscriptions per mailbox across apps, then answers 403', async () => {
    const body = subscriptionBody(receiver, clock);
    for (let i = 0; i < 1000; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => hub.create((i + j) % 2 === 0 ? appCaller : otherAppCaller, body)));
    }
    const error = await graphError(hub.create(appCaller, body));
    expect(error.status).toBe(403);
    expect(error.message).toContain('Maximum number of subscriptions has been reached');
    // Another mailbox is unaffected; freeing one slot admits one more.
    await hub.create(appCaller, subscriptionBody(receiver, clock, { resource: `/users/${BOB}/events` }));
    hub.delete(appCaller, hub.list(appCaller)[0]!['id'] as string);
    await hub.create(appCaller, body);
    expect((await graphError(hub.create(appCaller, body))).status).toBe(403);
    expect(hub.list(appCaller).length + hub.list(otherAppCaller).length).toBe(1001);
    expect(TENANT).toBeDefined();
  });

  it('notifications – counts creates still in their handshake against the limit', async () => {
    const small = makeHub(clock, cert, { maxSubscriptionsPerMailbox: 2 });
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => small.create(appCaller, subscriptionBody(receiver, clock))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    await small.stop();
  });

  it('notifications – throttles the subscription API with 429 and Retry-After', async () => {
    const limited = new NotificationHub({
      clock,
      graphBaseUrl: 'https://127.0.0.1:8443',
      resolveMailbox,
      caCertPem: cert.cert,
      subscriptionApiLimits: { windowMs: 20_000, appTenantWrites: 2, appTenantAny: 3, tenantWrites: 100, tenantAny: 100 },
    });
    const first = await limited.create(appCaller, subscriptionBody(receiver, clock));
    limited.reauthorize(appCaller, first['id'] as string);
    const error = await graphError(limited.create(appCaller, subscriptionBody(receiver, clock)));
    expect(error).toMatchObject({ status: 429, graphCode: 'TooManyRequests', headers: { 'Retry-After': '20' } });
    limited.list(appCaller);
    expect((await graphError(() => limited.list(appCaller))).status).toBe(429);
    clock.advance(20_000);
    expect(limited.list(appCaller)).toHaveLength(1);
    await limited.stop();
  });
});
