import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { ForbiddenError, InvalidInputError, SignInError, UnauthenticatedError } from '../errors.js';
import type { MailboxState, OrgSettings, TenantSummary, TestMailboxResult } from '../ports.js';
import { checkCsrf, hashOf, readSession, type Session } from '../session.js';
import type { PrincipalKind } from '../tokens.js';
import { esc, hidden, layout } from './html.js';
import { StatusIndex } from './status.js';

type Form = Record<string, unknown>;
const ADDRESS_RE = /^[^\s@<>"']+@[^\s@<>"']+\.[^\s@<>"']+$/;
const TENANT_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const LANG_RE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$/;
const STATE_LABEL: Record<MailboxState, string> = { 'not-activated': 'Not activated', pending: 'Pending', activated: 'Activated', error: 'Error' };
const TENANT_LABEL: Record<TenantSummary['state'], string> = {
  authorised: 'Authorised', 'needs-reauthorisation': 'Needs re-authorisation', 'unknown-domain': 'Unknown domain', 'refused-cloud': 'Refused cloud', pending: 'Pending',
};

function field(form: Form, name: string, max = 2048): string {
  const v = form[name];
  return typeof v === 'string' && v.length <= max ? v : '';
}

interface PendingConsent {
  readonly orgId: string;
  readonly userId: string;
  readonly expiresAt: number;
}

export function adminPages(ctx: ApiContext) {
  const index = new StatusIndex();
  const base = ctx.options.publicBaseUrl.replace(/\/$/, '');

  /** The admin session, or a redirect to sign-in (GET) / a refusal (POST). */
  async function admin(request: FastifyRequest, reply: FastifyReply): Promise<Session | undefined> {
    const session = await readSession(ctx, request);
    if (session?.role === 'admin') return session;
    if (session !== undefined) throw new ForbiddenError('Only administrators may open this page.');
    if (request.method === 'GET') {
      const path = request.url.split('?')[0] ?? '/admin';
      void reply.code(303).header('location', `/signin?as=admin&returnTo=${encodeURIComponent(/^\/admin(\/[a-z-]{1,30})?$/.test(path) ? path : '/admin')}`).send();
      return undefined;
    }
    throw new UnauthenticatedError('Your session ended; sign in again as an administrator.');
  }
  const page = (reply: FastifyReply, session: Session, title: string, body: string) =>
    reply.type('text/html; charset=utf-8').send(layout(title, { role: 'admin', csrf: session.csrf, name: session.name }, body));
  const csrfField = (session: Session) => hidden('_csrf', session.csrf);

  async function tenantOfOrg(session: Session, tenantId: string): Promise<void> {
    if (!TENANT_RE.test(tenantId)) throw new InvalidInputError('Choose one of your tenants.');
    if ((await ctx.deps.provisioning.orgOfTenant(tenantId)) !== session.orgId) throw new ForbiddenError('This tenant is not in your organisation.');
  }

  function testMailboxForm(session: Session, tenants: readonly TenantSummary[], selected: string, address: string): string {
    const options = tenants.map((t) => `<option value="${esc(t.tenantId)}"${t.tenantId === selected ? ' selected' : ''}>${esc(t.displayName)} (${esc(t.domains[0] ?? t.tenantId)})</option>`).join('');
    return `<form method="post" action="/admin/setup/test-mailbox">${csrfField(session)}
<label for="tenantId">Tenant</label><select id="tenantId" name="tenantId" required>${options}</select>
<label for="address">Test mailbox (an ordinary user mailbox of the tenant)</label><input id="address" name="address" type="email" required autocomplete="off" value="${esc(address)}" aria-describedby="address-help">
<p id="address-help" class="muted">We create an event in this mailbox and remove it again, to prove the service can write calendars.</p>
<button type="submit">Test the mailbox</button></form>`;
  }

  return (app: FastifyInstance): void => {
    app.get('/admin', async (request, reply) => {
      const session = await admin(request, reply);
      if (session === undefined) return reply;
      const tenants = await ctx.deps.provisioning.tenants(session.orgId);
      const snapshot = await ctx.deps.provisioning.mailboxStatuses(session.orgId);
      const counts = index.query(session.orgId, snapshot, { q: '', state: 'all', tenantId: null, page: 1, pageSize: 1 }).counts;
      const body = tenants.length === 0
        ? `<p class="notice">No Microsoft 365 tenant is connected yet. <a href="/admin/setup">Set up Microsoft 365</a>.</p>`
        : `<p>${tenants.length} tenant(s). Mailboxes: ${(Object.keys(counts) as MailboxState[]).map((s) => `<a href="/admin/users?state=${s}">${STATE_LABEL[s]}: ${counts[s]}</a>`).join(', ')}.</p>`;
      return page(reply, session, 'Overview', body);
    });

    app.get('/admin/setup', async (request, reply) => {
      const session = await admin(request, reply);
      if (session === undefined) return reply;
      return page(reply, session, 'Set up Microsoft 365', `<p>A Global Administrator of your Microsoft 365 tenant grants this service access to calendars and mailbox settings (admin consent). Afterwards you test one mailbox.</p>
<form method="post" action="/admin/setup/consent">${csrfField(session)}<button type="submit">Set up Microsoft 365</button></form>`);
    });

    app.post('/admin/setup/consent', async (request, reply) => {
      const session = await admin(request, reply);
      if (session === undefined) return reply;
      checkCsrf(session, request.body);
      const state = randomBytes(32).toString('base64url');
      const pending: PendingConsent = { orgId: session.orgId, userId: session.userId, expiresAt: ctx.clock.now() + ctx.options.signInTtlMs };
      await ctx.deps.state.put(`consent:${hashOf(state)}`, pending);
      const url = await ctx.deps.provisioning.adminConsentUrl(session.orgId, { state, redirectUri: `${base}/admin/setup/callback` });
      return reply.code(303).header('location', url).send();
    });

    app.get<{ Querystring: Form }>('/admin/setup/callback', async (request, reply) => {
      const session = await admin(request, reply);
      if (session === undefined) return reply;
      const q = request.query;
      const state = field(q, 'state', 100);
      if (!/^[A-Za-z0-9_-]{43}$/.test(state)) throw new SignInError('The consent answer has no valid state; start the setup again.');
      const key = `consent:${hashOf(state)}`;
      const pending = await ctx.deps.state.get<PendingConsent>(key);
      if (pending === undefined || pending.orgId !== session.orgId || pending.userId !== session.userId || pending.expiresAt <= ctx.clock.now()) {
        throw new SignInError('This consent answer does not belong to a setup you started (or it expired); start the setup again.');
      }
      await ctx.deps.state.delete(key);
      const opt = (name: string) => (field(q, name, 2000) === '' ? null : field(q, name, 2000));
      const outcome = await ctx.deps.provisioning.completeAdminConsent(session.orgId, {
        tenant: opt('tenant'), adminConsent: opt('admin_consent'), error: opt('error'), errorDescription: opt('error_description'),
      });
      if (!outcome.ok) {
        return page(reply, session, 'Set up Microsoft 365: not completed', `<div class="error" role="alert"><p>${esc(outcome.reason)}</p><p><strong>What to do next:</strong> ${esc(outcome.nextStep)}</p></div>
<form method="post" action="/admin/setup/consent">${csrfField(session)}<button type="submit">Try again</button></form>`);
      }
      // The tenant may have joined (or changed) organisation: the tenant check reads it again.
      ctx.tenantOrgs.forget(outcome.tenant.tenantId);
      const tenants = await ctx.deps.provisioning.tenants(session.orgId);
      return page(reply, session, 'Set up Microsoft 365: consent granted', `<p class="notice" role="status">Consent granted for ${esc(outcome.tenant.displayName)} (${esc(outcome.tenant.tenantId)}). Now test one mailbox.</p>${testMailboxForm(session, tenants, outcome.tenant.tenantId, '')}`);
    });

    app.post('/admin/setup/test-mailbox', async (request, reply) => {
      const session = await admin(request, reply);
      if (session === undefined) return reply;
      checkCsrf(session, request.body);
      const form = (request.body ?? {}) as Form;
      const tenantId = field(form, 'tenantId', 64);
      const address = field(form, 'address', 254).trim();
      await tenantOfOrg(session, tenantId);
      if (!ADDRESS_RE.test(address)) throw new InvalidInputError('Enter the test mailbox as an email address, e.g. someone@contoso.com.');
      const result: TestMailboxResult = await ctx.deps.provisioning.testMailbox(session.orgId, tenantId, address);
      const tenants = await ctx.deps.provisioning.tenants(session.orgId);
      if (result.ok) {
        return page(reply, session, 'Set up Microsoft 365: done', `<p class="notice ok" role="status">Success: ${esc(result.detail)}</p><p><a href="/admin/users">See the user status report</a></p>`);
      }
      return page(reply, session, 'Set up Microsoft 365: test failed', `<div class="error" role="alert"><p><strong>The test mailbox failed:</strong> ${esc(result.reason)}</p><p><strong>What to do next:</strong> ${esc(result.nextStep)}</p><p class="muted">Reason code: <code>${esc(result.code)}</code></p></div>${testMailboxForm(session, tenants, tenantId, address)}`);
    });

    app.get('/admin/tenants', async (request, reply) => {
      const session = await admin(request, reply);
      if (session === undefined) return reply;
      const tenants = await ctx.deps.provisioning.tenants(session.orgId);
      const rows = tenants.map((t) => `<tr><td>${esc(t.displayName)}</td><td>${esc(t.domains.join(', '))}</td><td><span class="${t.state === 'authorised' ? 'ok' : 'bad'}">${TENANT_LABEL[t.state]}</span></td><td>${esc(t.reason ?? '')}</td></tr>`).join('');
      return page(reply, session, 'Tenants', tenants.length === 0 ? '<p>No tenants yet. <a href="/admin/setup">Set up Microsoft 365</a>.</p>'
        : `<table><caption class="muted">Microsoft 365 tenants of your organisation</caption><thead><tr><th scope="col">Tenant</th><th scope="col">Domains</th><th scope="col">State</th><th scope="col">What to do</th></tr></thead><tbody>${rows}</tbody></table>`);
    });

    app.get<{ Querystring: Form }>('/admin/users', async (request, reply) => {
      const session = await admin(request, reply);
      if (session === undefined) return reply;
      const q = field(request.query, 'q', 200);
      const stateRaw = field(request.query, 'state', 20);
      const state = (['not-activated', 'pending', 'activated', 'error'] as const).find((s) => s === stateRaw) ?? 'all';
      const tenantRaw = field(request.query, 'tenant', 64);
      const tenantId = TENANT_RE.test(tenantRaw) ? tenantRaw : null;
      const pageNo = /^\d{1,6}$/.test(field(request.query, 'page', 8)) ? Number(field(request.query, 'page', 8)) : 1;
      const snapshot = await ctx.deps.provisioning.mailboxStatuses(session.orgId);
      const result = index.query(session.orgId, snapshot, { q, state, tenantId, page: pageNo, pageSize: ctx.options.statusPageSize });
      const stateOptions = [['all', 'All states'] as const, ...(Object.entries(STATE_LABEL) as [MailboxState, string][])]
        .map(([v, l]) => `<option value="${v}"${v === state ? ' selected' : ''}>${esc(l)}${v === 'all' ? '' : ` (${result.counts[v]})`}</option>`).join('');
      const rows = result.rows.map((r) => `<tr><td>${esc(r.displayName)}</td><td>${esc(r.address)}</td><td>${r.kind === 'room' ? 'Room' : 'User'}</td><td><span class="${r.state === 'error' ? 'bad' : r.state === 'activated' ? 'ok' : ''}">${STATE_LABEL[r.state]}</span></td><td>${esc(r.reason ?? '')}</td><td>${r.nextRetryAt === null ? '' : `<time datetime="${new Date(r.nextRetryAt).toISOString()}">${new Date(r.nextRetryAt).toISOString().replace('T', ' ').slice(0, 16)} UTC</time>`}</td></tr>`).join('');
      const link = (p: number) => `/admin/users?${new URLSearchParams({ q, state, ...(tenantId === null ? {} : { tenant: tenantId }), page: String(p) }).toString()}`;
      const nav = `<nav aria-label="Pages"><p>Page ${result.page} of ${result.pages} (${result.total} mailboxes) ${result.page > 1 ? `<a href="${esc(link(result.page - 1))}" rel="prev">Previous page</a>` : ''} ${result.page < result.pages ? `<a href="${esc(link(result.page + 1))}" rel="next">Next page</a>` : ''}</p></nav>`;
      return page(reply, session, 'User status', `<form method="get" action="/admin/users" role="search"><label for="q">Search by name or address</label><input id="q" name="q" type="search" value="${esc(q)}">
<label for="state">State</label><select id="state" name="state">${stateOptions}</select>${tenantId === null ? '' : hidden('tenant', tenantId)} <button type="submit">Show</button></form>
${nav}<table><caption class="muted">Mailbox activation states</caption><thead><tr><th scope="col">Name</th><th scope="col">Address</th><th scope="col">Kind</th><th scope="col">State</th><th scope="col">Reason</th><th scope="col">Next retry</th></tr></thead><tbody>${rows}</tbody></table>${nav}`);
    });

    app.get('/admin/rooms', async (request, reply) => {
      const session = await admin(request, reply);
      if (session === undefined) return reply;
      const warnings = await ctx.deps.provisioning.roomWarnings(session.orgId);
      const fix = (address: string) => `Set-CalendarProcessing -Identity ${address} -DeleteComments $false -DeleteSubject $false -AddOrganizerToSubject $false`;
      const rows = warnings.map((w) => `<tr><td>${esc(w.displayName)}</td><td>${esc(w.address)}</td><td>${esc(w.problems.join(', '))}</td><td><code>${esc(fix(w.address))}</code></td></tr>`).join('');
      return page(reply, session, 'Rooms that break the Join button', warnings.length === 0 ? '<p class="ok">No room mailbox strips the subject or body of invitations.</p>'
        : `<p>Exchange strips the body or replaces the subject of invitations to these rooms, so their video devices cannot show the Join button reliably (we fall back to the organizer's copy when we can). Run the fix in Exchange Online PowerShell.</p><table><caption class="muted">Room mailboxes with problems</caption><thead><tr><th scope="col">Room</th><th scope="col">Address</th><th scope="col">Problem</th><th scope="col">Fix</th></tr></thead><tbody>${rows}</tbody></table>`);
    });

    const settingsForm = (session: Session, s: OrgSettings, message: string) => {
      const action = (name: string, value: string) => (['personal-room', 'space', 'one-time'] as const)
        .map((a) => `<option value="${a}"${a === value ? ' selected' : ''}>${{ 'personal-room': 'Personal room', space: 'Space', 'one-time': 'One-time meeting' }[a]}</option>`).join('') + (name === '' ? '' : '');
      const langs = Object.entries(s.joinBlock).map(([lang, b], i) => `<fieldset><legend>Join block in ${esc(lang)}</legend>${hidden(`lang${i}`, lang)}
<label for="header${i}">Header (${esc(lang)})</label><textarea id="header${i}" name="header${i}" maxlength="1024" rows="2">${esc(b.header)}</textarea>
<label for="footer${i}">Footer (${esc(lang)})</label><textarea id="footer${i}" name="footer${i}" maxlength="1024" rows="2">${esc(b.footer)}</textarea></fieldset>`).join('');
      return `${message}<form method="post" action="/admin/settings">${csrfField(session)}
<label for="webex">Action of @webex</label><select id="webex" name="webexKeywordAction">${action('webex', s.webexKeywordAction)}</select>
<label for="meet">Action of @meet</label><select id="meet" name="meetKeywordAction">${action('meet', s.meetKeywordAction)}</select>
<label for="defaultLanguage">Default language of join details (e.g. en, de-CH)</label><input id="defaultLanguage" name="defaultLanguage" value="${esc(s.defaultLanguage)}" required pattern="[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}">
<label for="obtpLeadMinutes">Join button lead time (minutes before start, 0–60)</label><input id="obtpLeadMinutes" name="obtpLeadMinutes" type="number" min="0" max="60" value="${s.obtpLeadMinutes}" required>
<p><input id="governmentMode" name="governmentMode" type="checkbox" value="on"${s.governmentMode ? ' checked' : ''}> <label class="inline" for="governmentMode">Government mode (accept GCC High tenants)</label></p>
${langs}<fieldset><legend>Add a language</legend><label for="newLang">Language code</label><input id="newLang" name="newLang" pattern="[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}">
<label for="newHeader">Header</label><textarea id="newHeader" name="newHeader" maxlength="1024" rows="2"></textarea><label for="newFooter">Footer</label><textarea id="newFooter" name="newFooter" maxlength="1024" rows="2"></textarea></fieldset>
<button type="submit">Save settings</button></form>`;
    };

    app.get('/admin/settings', async (request, reply) => {
      const session = await admin(request, reply);
      if (session === undefined) return reply;
      return page(reply, session, 'Organisation settings', settingsForm(session, await ctx.deps.settings.get(session.orgId), ''));
    });

    app.post('/admin/settings', async (request, reply) => {
      const session = await admin(request, reply);
      if (session === undefined) return reply;
      checkCsrf(session, request.body);
      const form = (request.body ?? {}) as Form;
      const actionOf = (name: string) => {
        const v = field(form, name, 20);
        if (v !== 'personal-room' && v !== 'space' && v !== 'one-time') throw new InvalidInputError(`${name} must be personal-room, space or one-time.`);
        return v;
      };
      const lead = field(form, 'obtpLeadMinutes', 3);
      if (!/^\d{1,2}$/.test(lead) || Number(lead) > 60) throw new InvalidInputError('The lead time is a whole number of minutes from 0 to 60.');
      const defaultLanguage = field(form, 'defaultLanguage', 20);
      if (!LANG_RE.test(defaultLanguage)) throw new InvalidInputError('The default language is a language code such as en or de-CH.');
      const joinBlock: Record<string, { header: string; footer: string }> = {};
      const addLang = (lang: string, header: string, footer: string) => {
        if (lang === '') return;
        if (!LANG_RE.test(lang)) throw new InvalidInputError('A join block language is a language code such as en or de-CH.');
        if (header.length > 1024 || footer.length > 1024) throw new InvalidInputError('A header or footer holds at most 1,024 characters.');
        if (header !== '' || footer !== '') joinBlock[lang] = { header, footer };
      };
      for (let i = 0; i < 50 && typeof form[`lang${i}`] === 'string'; i += 1) addLang(field(form, `lang${i}`, 20), field(form, `header${i}`, 1025), field(form, `footer${i}`, 1025));
      addLang(field(form, 'newLang', 20), field(form, 'newHeader', 1025), field(form, 'newFooter', 1025));
      const settings: OrgSettings = {
        webexKeywordAction: actionOf('webexKeywordAction'), meetKeywordAction: actionOf('meetKeywordAction'), defaultLanguage,
        joinBlock, obtpLeadMinutes: Number(lead), governmentMode: form['governmentMode'] === 'on',
      };
      await ctx.deps.settings.put(session.orgId, settings);
      return page(reply, session, 'Organisation settings', settingsForm(session, settings, '<p class="notice" role="status">Settings saved.</p>'));
    });

    app.get('/admin/tokens', async (request, reply) => {
      const session = await admin(request, reply);
      if (session === undefined) return reply;
      return page(reply, session, 'Service tokens', tokensForms(session, ''));
    });

    const tokensForms = (session: Session, message: string) => `${message}<h2>Issue a token</h2><form method="post" action="/admin/tokens">${csrfField(session)}
<label for="kind">For</label><select id="kind" name="kind"><option value="user">A user (app)</option><option value="device">A device</option><option value="gateway">A device gateway</option><option value="admin">An administrator tool</option></select>
<label for="tokenTenant">Tenant id (users and devices)</label><input id="tokenTenant" name="tenantId">
<label for="subject">User id, device id or gateway name</label><input id="subject" name="subject" required>
<label for="ttlDays">Valid for (days, 1–400)</label><input id="ttlDays" name="ttlDays" type="number" min="1" max="400" value="90" required>
<button type="submit">Issue token</button></form>
<h2>Revoke a token</h2><form method="post" action="/admin/tokens/revoke">${csrfField(session)}<label for="tokenId">Token id</label><input id="tokenId" name="tokenId" required><button type="submit">Revoke</button></form>`;

    app.post('/admin/tokens', async (request, reply) => {
      const session = await admin(request, reply);
      if (session === undefined) return reply;
      checkCsrf(session, request.body);
      const form = (request.body ?? {}) as Form;
      const kind = field(form, 'kind', 10) as PrincipalKind;
      if (!['user', 'device', 'gateway', 'admin'].includes(kind)) throw new InvalidInputError('Choose what the token is for.');
      const tenantRaw = field(form, 'tenantId', 64).trim();
      const tenantId = tenantRaw === '' ? null : tenantRaw;
      if (tenantId !== null) await tenantOfOrg(session, tenantId);
      const subject = field(form, 'subject', 128).trim();
      if (!/^[A-Za-z0-9._:@-]{1,128}$/.test(subject)) throw new InvalidInputError('The subject is an id of letters, digits and . _ : @ -.');
      const ttl = field(form, 'ttlDays', 3);
      if (!/^\d{1,3}$/.test(ttl) || Number(ttl) < 1 || Number(ttl) > 400) throw new InvalidInputError('A token is valid for 1 to 400 days.');
      const issued = await ctx.tokens.issue({ orgId: session.orgId, kind, tenantId, subject, ttlMs: Number(ttl) * 86_400_000 });
      request.log.info({ tokenId: issued.tokenId, kind }, 'token issued');
      return page(reply, session, 'Service tokens', tokensForms(session, `<div class="notice" role="status"><p>Token issued (id <code>${esc(issued.tokenId)}</code>). Copy it now; it is not shown again:</p><p><code>${esc(issued.token)}</code></p></div>`));
    });

    app.post('/admin/tokens/revoke', async (request, reply) => {
      const session = await admin(request, reply);
      if (session === undefined) return reply;
      checkCsrf(session, request.body);
      const tokenId = field((request.body ?? {}) as Form, 'tokenId', 32).trim();
      await ctx.tokens.revoke(session.orgId, tokenId);
      return page(reply, session, 'Service tokens', tokensForms(session, `<p class="notice" role="status">Token ${esc(tokenId)} revoked.</p>`));
    });
  };
}
