/* eslint-disable @typescript-eslint/no-explicit-any */
import { execFile } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphSimulator } from '../../index.js';
import { ALICE, APP, BOB, REDIRECT, SECRET, TENANT, startSeeded } from './helpers.js';

const run = promisify(execFile);
let sim: GraphSimulator;
let observed: Record<string, any>;

beforeAll(async () => {
  sim = await startSeeded();
  const cert = await generate([{ name: 'commonName', value: 'fidelity cert app' }], { keySize: 2048 });
  const certAppId = '9c1f0d7e-8c1a-4a6e-9f0d-3e2b1c4d5a02';
  sim.admin.registerApp({ appId: certAppId, homeTenantId: TENANT, certificates: [cert.cert], applicationPermissions: ['Calendars.Read'] });
  sim.admin.grantAdminConsent(TENANT, certAppId);
  const thumbprint = createHash('sha256').update(new X509Certificate(cert.cert).raw).digest('hex');
  const config = {
    graphBaseUrl: sim.graphBaseUrl, authorityUrl: sim.authorityUrl, knownAuthority: sim.knownAuthority, authorityMetadata: sim.authorityMetadata,
    tenant: TENANT, appId: APP, secret: SECRET, certAppId, certKeyPem: cert.private, certThumbprintSha256: thumbprint,
    redirectUri: REDIRECT, alice: ALICE, bob: BOB,
  };
  const { stdout } = await run(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fidelity-client.ts', import.meta.url))], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: sim.caCertPath, SIM_FIDELITY_CONFIG: JSON.stringify(config) },
    timeout: 60_000,
  });
  observed = JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
}, 90_000);
afterAll(async () => sim.close());

describe('sim/graph fidelity with msal-node and the Graph client', () => {
  it('fidelity – msal-node client credentials with a secret and with a certificate', () => {
    expect(observed['secretToken']).toMatchObject({ tokenType: 'Bearer', hasToken: true });
    expect(observed['certToken']).toEqual({ hasToken: true });
  });

  it('fidelity – Graph client creates and reads events in the documented shape', () => {
    const created = observed['created'];
    for (const [key, type] of Object.entries({ '@odata.context': 'string', '@odata.etag': 'string', id: 'string', createdDateTime: 'string', changeKey: 'string', categories: 'object', iCalUId: 'string', subject: 'string', bodyPreview: 'string', isAllDay: 'boolean', showAs: 'string', type: 'string', webLink: 'string', responseStatus: 'object', body: 'object', start: 'object', end: 'object', location: 'object', locations: 'object', attendees: 'object', organizer: 'object', reminderMinutesBeforeStart: 'number' })) {
      expect(typeof created[key], key).toBe(type);
    }
    expect(created.start).toEqual({ dateTime: '2026-03-02T10:00:00.0000000', timeZone: 'W. Europe Standard Time' });
    expect(observed['got']).toMatchObject({ subject: 'Fidelity', start: { dateTime: '2026-03-02T09:00:00.0000000', timeZone: 'UTC' } });
  });

  it('fidelity – PageIterator follows nextLinks and delta links to the end', () => {
    expect(observed['paged'].firstPageSize).toBe(5);
    expect(observed['paged'].subjects).toHaveLength(13);
    expect(observed['paged'].complete).toBe(true);
    expect(observed['delta'].count).toBe(13);
    expect(observed['delta'].deltaLink).toContain('$deltatoken=');
  });

  it('fidelity – BatchRequestContent with dependsOn: a failed step fails its dependants with 424', () => {
    expect(observed['batch']).toEqual([201, 404, 424]);
  });

  it('fidelity – GraphError carries status, code and request id', () => {
    expect(observed['notFound']).toEqual({ statusCode: 404, code: 'ErrorItemNotFound', hasRequestId: true });
  });

  it('fidelity – auth code with PKCE, /me, refresh via acquireTokenSilent, other mailboxes denied', () => {
    expect(observed['authCode'].username).toBe('alice@contoso.com');
    expect(observed['authCode'].homeAccountId).toBe(`${ALICE}.${TENANT}`);
    expect(observed['meEvents']).toContain('Fidelity');
    expect(observed['refreshed']).toEqual({ changed: true, hasToken: true });
    expect(observed['otherMailbox']).toEqual({ statusCode: 403, code: 'ErrorAccessDenied' });
  });
});
