/**
 * Held-out fidelity expectations for the subscription resource (create, renew, delete, lifetime
 * limits, validation handshake), written from the subscription and change-notification reference
 * pages before the hub's answers were looked at.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../../clock.js';
import { SimGraphError } from '../../../model.js';
import type { NotificationHub } from '../../../notifications/index.js';
import { NotificationHub as Hub } from '../../../notifications/index.js';
import { APP, HOUR, MINUTE, appCaller, makeHub, newClock, resolveMailbox, subscriptionBody } from '../notifications/fixtures.js';
import { makeCert, Receiver, type TestCert } from '../notifications/receiver.js';

let cert: TestCert;
let receiver: Receiver;
let clock: ManualClock;
let hub: NotificationHub;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OFFSET7 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/;

beforeAll(async () => {
  cert = await makeCert();
  receiver = await Receiver.start(cert);
});
afterAll(async () => receiver.close());
beforeEach(() => {
  receiver.reset();
  clock = newClock();
  hub = makeHub(clock, cert);
});
afterEach(async () => hub.stop());

async function refused(work: Promise<unknown> | (() => unknown)): Promise<SimGraphError> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (error) {
    if (error instanceof SimGraphError) return error;
    throw error;
  }
  throw new Error('expected a Graph error');
}

describe('held-out – subscription resource as documented', () => {
  it('subscription – create answers the entity with context, GUID id, applicationId, 7-digit UTC expiration and TLS v1_2 by default', async () => {
    const s = await hub.create(appCaller, subscriptionBody(receiver, clock));
    expect(s['@odata.context']).toBe('https://127.0.0.1:8443/v1.0/$metadata#subscriptions/$entity');
    expect(s['id']).toMatch(GUID);
    expect(s['applicationId']).toBe(APP);
    expect(s['expirationDateTime']).toMatch(OFFSET7);
    expect(s['latestSupportedTlsVersion']).toBe('v1_2');
    expect(s['clientState']).toBe('secretClientValue');
    expect(s['changeType']).toBe('created,updated,deleted');
    expect(typeof s['creatorId']).toBe('string');
    expect(s['lifecycleNotificationUrl']).toBeNull();
  });

  it('subscription – an Outlook event subscription may live 4,230 minutes and no longer (400)', async () => {
    const ok = await hub.create(appCaller, subscriptionBody(receiver, clock, { expirationDateTime: new Date(clock.now() + 4_230 * MINUTE).toISOString() }));
    expect(Date.parse(String(ok['expirationDateTime']))).toBe(clock.now() + 4_230 * MINUTE);
    const e = await refused(hub.create(appCaller, subscriptionBody(receiver, clock, { expirationDateTime: new Date(clock.now() + 4_231 * MINUTE).toISOString() })));
    expect(e.status).toBe(400);
  });

  it('subscription – a requested lifetime under 45 minutes is raised to 45 minutes', async () => {
    const s = await hub.create(appCaller, subscriptionBody(receiver, clock, { expirationDateTime: new Date(clock.now() + 10 * MINUTE).toISOString() }));
    expect(Date.parse(String(s['expirationDateTime']))).toBe(clock.now() + 45 * MINUTE);
  });

  it('subscription – PATCH expirationDateTime renews it and GET shows the new expiry; DELETE removes it (GET → 404)', async () => {
    const s = await hub.create(appCaller, subscriptionBody(receiver, clock));
    const id = String(s['id']);
    const renewed = await hub.updateWithValidation(appCaller, id, { expirationDateTime: new Date(clock.now() + 2 * 24 * HOUR).toISOString() });
    expect(Date.parse(String(renewed['expirationDateTime']))).toBe(clock.now() + 2 * 24 * HOUR);
    expect(hub.get(appCaller, id)['expirationDateTime']).toBe(renewed['expirationDateTime']);
    hub.delete(appCaller, id);
    expect((await refused(() => hub.get(appCaller, id))).status).toBe(404);
  });

  it('subscription – GET /subscriptions answers { @odata.context, value } with the app’s subscriptions', async () => {
    await hub.create(appCaller, subscriptionBody(receiver, clock));
    const list = hub.listBody(appCaller);
    expect(list['@odata.context']).toBe('https://127.0.0.1:8443/v1.0/$metadata#subscriptions');
    expect(list['value']).toHaveLength(1);
  });

  it('subscription – the handshake must echo the token as text/plain with 200 within the time-out, else 400', async () => {
    receiver.respond = (post) => ({ status: 200, contentType: 'application/json', body: JSON.stringify(post.query.get('validationToken')) });
    expect((await refused(hub.create(appCaller, subscriptionBody(receiver, clock)))).status).toBe(400);
  });

  it('subscription – a plain-http notificationUrl, a clientState over 128 characters and an unknown changeType are 400', async () => {
    expect((await refused(hub.create(appCaller, subscriptionBody(receiver, clock, { notificationUrl: 'http://127.0.0.1/notify' })))).status).toBe(400);
    expect((await refused(hub.create(appCaller, subscriptionBody(receiver, clock, { clientState: 'x'.repeat(129) })))).status).toBe(400);
    expect((await refused(hub.create(appCaller, subscriptionBody(receiver, clock, { changeType: 'created,moved' })))).status).toBe(400);
  });

  it('subscription – with resource data: the $select resource is accepted for events, lives at most one day, and needs the certificate fields', async () => {
    const certificate = cert.cert.replace(/-----[A-Z ]+-----|\s/g, '');
    const rich = { includeResourceData: true, encryptionCertificate: certificate, encryptionCertificateId: 'cert-1', resource: `/users/11111111-1111-4111-8111-111111111111/events?$select=subject,start,end` };
    const day = new Date(clock.now() + 24 * HOUR).toISOString();
    const hubRich = new Hub({
      clock, graphBaseUrl: 'https://127.0.0.1:8443', resolveMailbox, caCertPem: cert.cert,
      rich: { render: () => ({ subject: 'x' }), signValidationToken: () => Promise.resolve('token') },
    });
    try {
      const missing = await refused(hubRich.create(appCaller, subscriptionBody(receiver, clock, { ...rich, encryptionCertificate: undefined, expirationDateTime: day })));
      expect(missing.status).toBe(400);
      const tooLong = await refused(hubRich.create(appCaller, subscriptionBody(receiver, clock, { ...rich, expirationDateTime: new Date(clock.now() + 25 * HOUR).toISOString() })));
      expect(tooLong.status).toBe(400);
      const created = await hubRich.create(appCaller, subscriptionBody(receiver, clock, { ...rich, expirationDateTime: day }));
      expect([created['includeResourceData'], created['encryptionCertificateId']]).toEqual([true, 'cert-1']);
    } finally {
      await hubRich.stop();
    }
  });
});
