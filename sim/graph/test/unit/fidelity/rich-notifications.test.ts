import { X509Certificate, constants, createDecipheriv, createHash, createHmac, privateDecrypt } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { generate } from 'selfsigned';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../../clock.js';
import { IdentityPlatform } from '../../../identity/index.js';
import { SimGraphError } from '../../../model.js';
import { GRAPH_CHANGE_TRACKING_APP_ID, NotificationHub } from '../../../notifications/index.js';
import { SimStore, storeResourceRenderer } from '../../../store/index.js';
import { ALICE, APP, HOUR, TENANT, appCaller, newClock, resolveMailbox, subscriptionBody } from '../notifications/fixtures.js';
import { makeCert, Receiver, type TestCert } from '../notifications/receiver.js';

let cert: TestCert;
let receiver: Receiver;
let clock: ManualClock;
let store: SimStore;
let identity: IdentityPlatform;
let hub: NotificationHub;
let unsubscribe: () => void;

const base64Der = (pem: string): string => pem.replace(/-----[A-Z ]+-----|\s/g, '');

function richBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return subscriptionBody(receiver, clock, {
    includeResourceData: true, encryptionCertificate: base64Der(cert.cert), encryptionCertificateId: 'hc-cert-2026',
    resource: `/users/${ALICE}/events?$select=subject,start,isOnlineMeeting`, expirationDateTime: new Date(clock.now() + 23 * HOUR).toISOString(),
    ...overrides,
  });
}

async function refusal(work: Promise<unknown>): Promise<SimGraphError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof SimGraphError) return error;
    throw error;
  }
  throw new Error('expected a Graph error');
}

/** What a subscriber does with encryptedContent: unwrap the key, check the signature, decrypt. */
function decrypt(content: Record<string, string>, privateKeyPem: string): unknown {
  const key = privateDecrypt({ key: privateKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(content['dataKey']!, 'base64'));
  const data = Buffer.from(content['data']!, 'base64');
  expect(createHmac('sha256', key).update(data).digest('base64')).toBe(content['dataSignature']);
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  return JSON.parse(Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8'));
}

beforeAll(async () => {
  cert = await makeCert();
  receiver = await Receiver.start(cert);
});
afterAll(async () => receiver.close());
beforeEach(async () => {
  receiver.reset();
  clock = newClock();
  store = new SimStore(clock);
  store.addTenant({ id: TENANT, displayName: 'Contoso', cloud: 'worldwide', domains: [{ id: 'contoso.example', isDefault: true, isInitial: true }] });
  store.addMailbox(TENANT, { id: ALICE, userPrincipalName: 'alice@contoso.example', displayName: 'Alice', mail: 'alice@contoso.example', kind: 'user', mailboxEnabled: true, mailboxSettings: {} });
  identity = await IdentityPlatform.create(store, clock);
  hub = new NotificationHub({
    clock, graphBaseUrl: 'https://127.0.0.1:8443', resolveMailbox, caCertPem: cert.cert,
    rich: { render: storeResourceRenderer(store), signValidationToken: (t, a) => identity.signValidationToken(t, a, GRAPH_CHANGE_TRACKING_APP_ID) },
  });
  unsubscribe = store.onChange((c) => hub.publish(c));
});
afterEach(async () => {
  unsubscribe();
  await hub.stop();
});

describe('fidelity – rich notifications (includeResourceData)', () => {
  it('rich – a created event arrives as encryptedContent the subscriber decrypts to exactly the $select-ed properties', async () => {
    await hub.create(appCaller, richBody());
    const id = store.createEvent(TENANT, ALICE, { subject: 'Quarterly review', start: { dateTime: '2026-01-06T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-01-06T11:00:00', timeZone: 'UTC' } });
    await hub.flush();
    const [item] = receiver.items();
    expect(item?.['changeType']).toBe('created');
    expect((item?.['resourceData'] as Record<string, unknown>)['id']).toBe(id);
    const content = item?.['encryptedContent'] as Record<string, string>;
    expect(Object.keys(content).sort()).toEqual(['data', 'dataKey', 'dataSignature', 'encryptionCertificateId', 'encryptionCertificateThumbprint']);
    expect(content['encryptionCertificateId']).toBe('hc-cert-2026');
    const thumb = new X509Certificate(cert.cert).fingerprint.replace(/:/g, '');
    expect(content['encryptionCertificateThumbprint']).toBe(thumb);
    expect(content['encryptionCertificateThumbprint']).toBe(createHash('sha1').update(new X509Certificate(cert.cert).raw).digest('hex').toUpperCase());
    expect(decrypt(content, cert.key)).toEqual({
      subject: 'Quarterly review', start: { dateTime: '2026-01-06T10:00:00.0000000', timeZone: 'UTC' }, isOnlineMeeting: false,
    });
  });

  it('rich – each POST carries validationTokens: JWTs signed by the identity platform for the app (aud) in the tenant', async () => {
    await hub.create(appCaller, richBody());
    store.createEvent(TENANT, ALICE, { subject: 'a', start: { dateTime: '2026-01-06T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-01-06T11:00:00', timeZone: 'UTC' } });
    await hub.flush();
    const [post] = receiver.deliveries();
    const body = JSON.parse(post!.body) as { validationTokens: string[] };
    expect(body.validationTokens).toHaveLength(1);
    const { payload, protectedHeader } = await jwtVerify(body.validationTokens[0]!, createLocalJWKSet(identity.jwks()), {
      audience: APP, issuer: `https://sts.windows.net/${TENANT}/`, currentDate: new Date(clock.now()),
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect([payload['appid'], payload['azp'], payload['tid']]).toEqual([GRAPH_CHANGE_TRACKING_APP_ID, GRAPH_CHANGE_TRACKING_APP_ID, TENANT]);
  });

  it('rich – an update carries the resource as it is after the change; a deletion carries no encryptedContent', async () => {
    await hub.create(appCaller, richBody());
    const id = store.createEvent(TENANT, ALICE, { subject: 'before', start: { dateTime: '2026-01-06T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-01-06T11:00:00', timeZone: 'UTC' } });
    store.updateEvent(TENANT, ALICE, id, { subject: 'after' });
    store.deleteEvent(TENANT, ALICE, id);
    await hub.flush();
    const items = receiver.items();
    expect(items.map((i) => i['changeType'])).toEqual(['created', 'updated', 'deleted']);
    expect((decrypt(items[1]?.['encryptedContent'] as Record<string, string>, cert.key) as { subject: string }).subject).toBe('after');
    expect(items[2]?.['encryptedContent']).toBeUndefined();
  });

  it('rich – basic subscriptions of the same mailbox stay without resource data or validationTokens', async () => {
    await hub.create(appCaller, subscriptionBody(receiver, clock));
    store.createEvent(TENANT, ALICE, { subject: 'x', start: { dateTime: '2026-01-06T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-01-06T11:00:00', timeZone: 'UTC' } });
    await hub.flush();
    const [post] = receiver.deliveries();
    const body = JSON.parse(post!.body) as Record<string, unknown>;
    expect(body['validationTokens']).toBeUndefined();
    expect((body['value'] as Record<string, unknown>[])[0]?.['encryptedContent']).toBeUndefined();
  });

  it('rich – Graph’s refusals: no $select, $top/$orderby/$expand, selecting body, a bad or short-key certificate, a long certificate id, over one day', async () => {
    const refusals = [
      richBody({ resource: `/users/${ALICE}/events` }),
      richBody({ resource: `/users/${ALICE}/events?$select=subject&$top=5` }),
      richBody({ resource: `/users/${ALICE}/events?$select=subject&$orderby=start/dateTime` }),
      richBody({ resource: `/users/${ALICE}/events?$select=subject&$expand=attachments` }),
      richBody({ resource: `/users/${ALICE}/events?$select=subject,body` }),
      richBody({ encryptionCertificate: 'bm90IGEgY2VydGlmaWNhdGU=' }),
      richBody({ encryptionCertificateId: 'x'.repeat(129) }),
      richBody({ encryptionCertificateId: undefined }),
      richBody({ expirationDateTime: new Date(clock.now() + 24 * HOUR + 60_000).toISOString() }),
    ];
    for (const body of refusals) expect((await refusal(hub.create(appCaller, body))).status).toBe(400);
    const small = await generate([{ name: 'commonName', value: 'small' }], { keySize: 1024, algorithm: 'sha256' });
    expect((await refusal(hub.create(appCaller, richBody({ encryptionCertificate: base64Der(small.cert) })))).status).toBe(400);
    // A $select outside includeResourceData stays refused, as before.
    expect((await refusal(hub.create(appCaller, subscriptionBody(receiver, clock, { resource: `/users/${ALICE}/events?$select=subject` })))).status).toBe(400);
  });

  it('rich – the subscription answers includeResourceData and the certificate fields; renewals stay within one day', async () => {
    const s = await hub.create(appCaller, richBody());
    expect([s['includeResourceData'], s['encryptionCertificateId'], s['encryptionCertificate']]).toEqual([true, 'hc-cert-2026', base64Der(cert.cert)]);
    expect((await refusal(hub.updateWithValidation(appCaller, String(s['id']), { expirationDateTime: new Date(clock.now() + 30 * HOUR).toISOString() }))).status).toBe(400);
  });

  it('rich – a hub without a resource source refuses includeResourceData with 400 NotSupported', async () => {
    const bare = new NotificationHub({ clock, graphBaseUrl: 'https://127.0.0.1:8443', resolveMailbox, caCertPem: cert.cert });
    try {
      const e = await refusal(bare.create(appCaller, richBody()));
      expect([e.status, e.graphCode]).toEqual([400, 'NotSupported']);
    } finally {
      await bare.stop();
    }
  });
});
