/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import type { GraphSimulator } from '../../index.js';
import { ALICE, APP, REDIRECT, SECRET, TENANT, appToken, call, postForm, startSeeded } from './helpers.js';

let sim: GraphSimulator;
const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0));
const DAY = 86_400_000;

beforeAll(async () => {
  sim = await startSeeded({ clock, clouds: ['worldwide', 'gccHigh'] });
});
afterAll(async () => sim.close());

async function authCode(scope = 'Calendars.ReadWrite offline_access openid profile'): Promise<{ tokens: any; verifier: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const q = new URLSearchParams({ client_id: APP, response_type: 'code', redirect_uri: REDIRECT, scope, state: 's1', code_challenge: challenge, code_challenge_method: 'S256', login_hint: 'alice@contoso.com' });
  const res = await call(sim, 'GET', `/${TENANT}/oauth2/v2.0/authorize?${q.toString()}`);
  expect(res.status).toBe(302);
  const location = new URL(String(res.headers['location']));
  expect(location.searchParams.get('state')).toBe('s1');
  const code = location.searchParams.get('code') ?? '';
  const tokens = await postForm(sim, `/${TENANT}/oauth2/v2.0/token`, { grant_type: 'authorization_code', client_id: APP, client_secret: SECRET, code, redirect_uri: REDIRECT, code_verifier: verifier, scope });
  return { tokens, verifier };
}

describe('sim/graph identity platform', () => {
  it('identity – serves OpenID configuration and JWKS', async () => {
    const cfg = await call(sim, 'GET', `/${TENANT}/v2.0/.well-known/openid-configuration`);
    expect(cfg.status).toBe(200);
    expect(cfg.body.token_endpoint).toBe(`${sim.authorityUrl}/${TENANT}/oauth2/v2.0/token`);
    expect(cfg.body.issuer).toBe(`${sim.authorityUrl}/${TENANT}/v2.0`);
    const keys = await call(sim, 'GET', `/${TENANT}/discovery/v2.0/keys`);
    expect(keys.body.keys[0]).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256' });
  });

  it('identity – client credentials errors: /common, bad secret, non-.default scope, wrong resource, unknown app', async () => {
    const base = { grant_type: 'client_credentials', client_id: APP, client_secret: SECRET, scope: 'https://graph.microsoft.com/.default' };
    const common = await postForm(sim, '/common/oauth2/v2.0/token', base);
    expect(common.body.error_codes).toEqual([9001023]);
    const secret = await postForm(sim, `/${TENANT}/oauth2/v2.0/token`, { ...base, client_secret: 'wrong' });
    expect(secret.status).toBe(401);
    expect(secret.body).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
    expect(secret.body.error_description).toMatch(/^AADSTS7000215: .*\r\nTrace ID: .*\r\nCorrelation ID: .*\r\nTimestamp: /s);
    const scope = await postForm(sim, `/${TENANT}/oauth2/v2.0/token`, { ...base, scope: 'Calendars.Read' });
    expect(scope.body.error).toBe('invalid_scope');
    const resource = await postForm(sim, `/${TENANT}/oauth2/v2.0/token`, { ...base, scope: 'https://graph.microsoft.us/.default' });
    expect(resource.body).toMatchObject({ error: 'invalid_resource', error_codes: [500011] });
    const unknown = await postForm(sim, `/${TENANT}/oauth2/v2.0/token`, { ...base, client_id: 'nope' });
    expect(unknown.body.error_codes).toEqual([700016]);
  });

  it('identity – refresh tokens rotate and expire after 90 days of inactivity with AADSTS700082', async () => {
    const { tokens } = await authCode();
    expect(tokens.status).toBe(200);
    expect(tokens.body).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
    expect(tokens.body.refresh_token).toBeTypeOf('string');
    expect(tokens.body.id_token).toBeTypeOf('string');
    const refresh = (rt: string) => postForm(sim, `/${TENANT}/oauth2/v2.0/token`, { grant_type: 'refresh_token', client_id: APP, client_secret: SECRET, refresh_token: rt, scope: 'Calendars.ReadWrite offline_access' });
    clock.advance(30 * DAY);
    const r1 = await refresh(tokens.body.refresh_token);
    expect(r1.status).toBe(200);
    expect(r1.body.refresh_token).not.toBe(tokens.body.refresh_token);
    clock.advance(91 * DAY);
    const expired = await refresh(r1.body.refresh_token);
    expect(expired.status).toBe(400);
    expect(expired.body).toMatchObject({ error: 'invalid_grant', error_codes: [700082] });
  });

  it('identity – a replayed code and a wrong PKCE verifier are rejected', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const q = new URLSearchParams({ client_id: APP, response_type: 'code', redirect_uri: REDIRECT, scope: 'Calendars.ReadWrite', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256', login_hint: 'alice@contoso.com' });
    const res = await call(sim, 'GET', `/${TENANT}/oauth2/v2.0/authorize?${q.toString()}`);
    const code = new URL(String(res.headers['location'])).searchParams.get('code') ?? '';
    const form = { grant_type: 'authorization_code', client_id: APP, client_secret: SECRET, code, redirect_uri: REDIRECT, scope: 'Calendars.ReadWrite' };
    const wrong = await postForm(sim, `/${TENANT}/oauth2/v2.0/token`, { ...form, code_verifier: 'x'.repeat(43) });
    expect(wrong.body.error_codes).toEqual([501481]);
  });

  it('identity – revoked consent: refresh fails with AADSTS65001 consent_required, Graph calls are denied', async () => {
    const { tokens } = await authCode();
    const token = await appToken(sim);
    sim.admin.revokeConsent(TENANT, APP);
    try {
      const refreshed = await postForm(sim, `/${TENANT}/oauth2/v2.0/token`, { grant_type: 'refresh_token', client_id: APP, client_secret: SECRET, refresh_token: tokens.body.refresh_token, scope: 'Calendars.ReadWrite' });
      expect(refreshed.body).toMatchObject({ error: 'invalid_grant', error_codes: [65001], suberror: 'consent_required' });
      const denied = await call(sim, 'GET', `/v1.0/users/${ALICE}/events`, { token });
      expect(denied.status).toBe(403);
      expect(denied.body.error.code).toBe('ErrorAccessDenied');
      sim.admin.setUserConsentAllowed(TENANT, false);
      const q = new URLSearchParams({ client_id: APP, response_type: 'code', redirect_uri: REDIRECT, scope: 'Calendars.ReadWrite', login_hint: 'alice@contoso.com' });
      const res = await call(sim, 'GET', `/${TENANT}/oauth2/v2.0/authorize?${q.toString()}`);
      const location = new URL(String(res.headers['location']));
      expect(location.searchParams.get('error')).toBe('consent_required');
      expect(location.searchParams.get('error_description')).toMatch(/^AADSTS65001/);
    } finally {
      sim.admin.setUserConsentAllowed(TENANT, true);
      sim.admin.grantAdminConsent(TENANT, APP);
    }
  });

  it('identity – admin consent redirects with admin_consent, tenant and state, or an error', async () => {
    const ok = await call(sim, 'GET', `/${TENANT}/adminconsent?client_id=${APP}&redirect_uri=${encodeURIComponent(REDIRECT)}&state=xyz`);
    expect(ok.status).toBe(302);
    const loc = new URL(String(ok.headers['location']));
    expect(Object.fromEntries(loc.searchParams)).toEqual({ admin_consent: 'True', tenant: TENANT, state: 'xyz' });
    sim.admin.setAdminConsentDenied(TENANT, true);
    const denied = await call(sim, 'GET', `/${TENANT}/adminconsent?client_id=${APP}&redirect_uri=${encodeURIComponent(REDIRECT)}&state=xyz`);
    sim.admin.setAdminConsentDenied(TENANT, false);
    expect(new URL(String(denied.headers['location'])).searchParams.get('error')).toBe('access_denied');
    const badRedirect = await call(sim, 'GET', `/${TENANT}/adminconsent?client_id=${APP}&redirect_uri=${encodeURIComponent('https://evil.example/')}`);
    expect(badRedirect.status).toBe(400);
  });

  it('identity – a token without Calendars.ReadWrite reads but cannot write, like Graph', async () => {
    const readerId = '11111111-2222-4333-8444-555555555555';
    sim.admin.registerApp({ appId: readerId, homeTenantId: TENANT, secrets: ['s'], applicationPermissions: ['Calendars.Read'] });
    sim.admin.grantAdminConsent(TENANT, readerId);
    const token = await appToken(sim, { client_id: readerId, client_secret: 's' });
    expect((await call(sim, 'GET', `/v1.0/users/${ALICE}/events`, { token })).status).toBe(200);
    const write = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, body: { subject: 'x', start: { dateTime: '2026-01-01T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-01-01T11:00:00', timeZone: 'UTC' } } });
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe('ErrorAccessDenied');
  });

  it('identity – expired and tampered tokens get 401 InvalidAuthenticationToken', async () => {
    const token = await appToken(sim);
    const tampered = `${token.slice(0, -4)}AAAA`;
    const bad = await call(sim, 'GET', `/v1.0/users/${ALICE}/events`, { token: tampered });
    expect(bad.status).toBe(401);
    clock.advance(2 * 3600_000);
    const expired = await call(sim, 'GET', `/v1.0/users/${ALICE}/events`, { token });
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('InvalidAuthenticationToken');
  });

  it('clouds – tenants of one cloud are unknown on another cloud, and tokens do not cross clouds', async () => {
    const gcch = sim.clouds.gccHigh!;
    expect(gcch.documentedGraphHost).toBe('https://graph.microsoft.us');
    expect(gcch.documentedLoginHost).toBe('https://login.microsoftonline.us');
    const res = await call(sim, 'POST', `${gcch.authorityUrl}/${TENANT}/oauth2/v2.0/token`, {
      raw: new URLSearchParams({ grant_type: 'client_credentials', client_id: APP, client_secret: SECRET, scope: 'https://graph.microsoft.us/.default' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.body.error_codes).toEqual([90002]);
    const token = await appToken(sim);
    const cross = await call(sim, 'GET', `${gcch.graphBaseUrl}/v1.0/users/${ALICE}/events`, { token });
    expect(cross.status).toBe(401);
  });

  it('identity – accessTokenSeconds sets the lifetime of the access tokens issued from then on', async () => {
    const form = { grant_type: 'client_credentials', client_id: APP, client_secret: SECRET, scope: 'https://graph.microsoft.com/.default' };
    sim.identity.accessTokenSeconds = 320;
    try {
      const res = await postForm(sim, `/${TENANT}/oauth2/v2.0/token`, form);
      expect(res.body).toMatchObject({ expires_in: 320, ext_expires_in: 320 });
      const claims = JSON.parse(Buffer.from(String(res.body.access_token).split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number };
      expect(claims.exp - claims.iat).toBe(320);
    } finally {
      sim.identity.accessTokenSeconds = 3599;
    }
    expect((await postForm(sim, `/${TENANT}/oauth2/v2.0/token`, form)).body.expires_in).toBe(3599);
  });
});
