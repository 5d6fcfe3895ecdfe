import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MailboxStatus } from '../../../api/index.js';
import { TENANT_A, TENANT_B, USER_1, makeFixture, ORG_B, type Fixture } from './fixture.js';

const form = (fields: Record<string, string>) => ({ 'content-type': 'application/x-www-form-urlencoded', payload: new URLSearchParams(fields).toString() });

describe('api pages – sessions, CSRF, redirects, status report', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await makeFixture();
  });
  afterEach(async () => f.close());

  it('pages – admin pages send a signed-out browser to sign-in, and refuse a user session', async () => {
    const res = await f.app.inject({ url: '/admin/users' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/signin?as=admin&returnTo=%2Fadmin%2Fusers');
    const user = await f.sessionCookie('user', TENANT_A, USER_1);
    const refused = await f.app.inject({ url: '/admin/users', headers: { cookie: user.cookie } });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('HC_ERR_API_FORBIDDEN');
    const forged = await f.app.inject({ url: '/admin/users', headers: { cookie: 'hc_session=abc.def' } });
    expect(forged.statusCode).toBe(303);
  });

  it('csrf – form posts without the session\'s CSRF token are refused with HC_ERR_API_CSRF and change nothing', async () => {
    const admin = await f.sessionCookie('admin', TENANT_A, 'admin-1');
    const fields = { webexKeywordAction: 'space', meetKeywordAction: 'one-time', defaultLanguage: 'de-CH', obtpLeadMinutes: '10', governmentMode: 'on', newLang: 'de', newHeader: 'Kopf', newFooter: 'Fuss' };
    for (const csrf of [undefined, 'wrong', `${admin.csrf}x`]) {
      const sent = form(csrf === undefined ? fields : { ...fields, _csrf: csrf });
      const res = await f.app.inject({ method: 'POST', url: '/admin/settings', headers: { cookie: admin.cookie, 'content-type': sent['content-type'] }, payload: sent.payload });
      expect(res.statusCode).toBe(403);
      expect(res.body).toContain('HC_ERR_API_CSRF');
    }
    expect((await f.settings.get('org-a')).obtpLeadMinutes).toBe(5);
    const ok = await f.app.inject({ method: 'POST', url: '/admin/settings', headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ ...fields, _csrf: admin.csrf }).toString() });
    expect(ok.statusCode).toBe(200);
    expect(await f.settings.get('org-a')).toEqual({ webexKeywordAction: 'space', meetKeywordAction: 'one-time', defaultLanguage: 'de-CH', joinBlock: { de: { header: 'Kopf', footer: 'Fuss' } }, obtpLeadMinutes: 10, governmentMode: true });
    const user = await f.sessionCookie('user', TENANT_A, USER_1);
    const disconnect = await f.app.inject({ method: 'POST', url: '/me/disconnect', headers: { cookie: user.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: '_csrf=nope' });
    expect(disconnect.statusCode).toBe(403);
  });

  it('redirects – sign-in refuses return addresses off this site, and callbacks never redirect to a URL from the query', async () => {
    for (const returnTo of ['https://evil.example/admin', '//evil.example/admin', '/\\evil.example', '/admin/../../evil', 'javascript:alert(1)', '/admin@evil.example']) {
      const res = await f.app.inject({ url: `/signin?as=admin&returnTo=${encodeURIComponent(returnTo)}` });
      expect(res.statusCode, returnTo).toBe(400);
      expect(res.body).toContain('HC_ERR_API_INVALID_INPUT');
      expect(res.headers.location).toBeUndefined();
    }
    const callback = await f.app.inject({ url: `/auth/callback?code=abc&state=${'s'.repeat(43)}&returnTo=https://evil.example&redirect_uri=https://evil.example` });
    expect(callback.statusCode).toBe(400);
    expect(callback.body).toContain('HC_ERR_API_SIGN_IN');
    expect(callback.headers.location).toBeUndefined();
    const admin = await f.sessionCookie('admin', TENANT_A, 'admin-1');
    const consent = await f.app.inject({ url: `/admin/setup/callback?admin_consent=True&tenant=${TENANT_A}&state=${'s'.repeat(43)}&redirect_uri=https://evil.example`, headers: { cookie: admin.cookie } });
    expect(consent.statusCode).toBe(400);
    expect(consent.headers.location).toBeUndefined();
  });

  it('status report – search, state filter and paging over 10,000 mailboxes, scoped to the organisation', async () => {
    const rows: MailboxStatus[] = [];
    const states = ['not-activated', 'pending', 'activated', 'error'] as const;
    for (let i = 0; i < 10_000; i += 1) {
      const state = states[i % 4]!;
      rows.push({ mailboxId: `mbx-${i}`, tenantId: TENANT_A, displayName: `Person ${String(i).padStart(5, '0')}`, address: `p${i}@a.example`, kind: i % 50 === 0 ? 'room' : 'user', state, reason: state === 'error' ? 'Mailbox not found (404)' : null, nextRetryAt: state === 'error' ? Date.UTC(2026, 0, 5, 10, 0) : null });
    }
    rows.push({ mailboxId: 'other', tenantId: TENANT_B, displayName: 'Person of B', address: 'x@b.example', kind: 'user', state: 'error', reason: 'x', nextRetryAt: null });
    f.provisioning.setStatuses(rows);
    const admin = await f.sessionCookie('admin', TENANT_A, 'admin-1');
    const page = async (query: string) => (await f.app.inject({ url: `/admin/users?${query}`, headers: { cookie: admin.cookie } })).body;
    const first = await page('');
    expect(first).toContain('Page 1 of 200 (10000 mailboxes)');
    expect(first).not.toContain('Person of B');
    const errors = await page('state=error&page=3');
    expect(errors).toContain('Page 3 of 50 (2500 mailboxes)');
    expect(errors).toContain('Mailbox not found (404)');
    expect(errors).toContain('2026-01-05 10:00 UTC');
    expect(errors).not.toContain('>Activated<');
    const search = await page('q=p1234%40a.example');
    expect(search).toContain('Person 01234');
    expect(search).toContain('(1 mailboxes)');
    const beyond = await page('page=999999');
    expect(beyond).toContain('Page 200 of 200');
    const b = await f.sessionCookie('admin', TENANT_B, 'admin-b', ORG_B);
    const other = (await f.app.inject({ url: '/admin/users?state=error', headers: { cookie: b.cookie } })).body;
    expect(other).toContain('Person of B');
    expect(other).toContain('(1 mailboxes)');
  });

  it('tokens page – an administrator issues a token shown once and revokes it; tenants of another organisation are refused', async () => {
    const admin = await f.sessionCookie('admin', TENANT_A, 'admin-1');
    const post = (url: string, fields: Record<string, string>) => f.app.inject({ method: 'POST', url, headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ ...fields, _csrf: admin.csrf }).toString() });
    const issued = await post('/admin/tokens', { kind: 'device', tenantId: TENANT_A, subject: 'device-9', ttlDays: '30' });
    const token = /(hct_[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43})/.exec(issued.body)![1]!;
    expect((await f.tokens.verify(token)).subject).toBe('device-9');
    expect((await post('/admin/tokens', { kind: 'device', tenantId: TENANT_B, subject: 'device-9', ttlDays: '30' })).statusCode).toBe(403);
    expect((await post('/admin/tokens/revoke', { tokenId: token.slice(4, 20) })).statusCode).toBe(200);
    await expect(f.tokens.verify(token)).rejects.toMatchObject({ code: 'HC_ERR_API_UNAUTHENTICATED' });
  });
});
