// Runs in a child process started by fidelity.test.ts with NODE_EXTRA_CA_CERTS pointing at the
// simulator's CA: the unmodified msal-node and Graph client reach the simulator through
// configuration only. Prints one JSON document with what it observed.
import { ConfidentialClientApplication, CryptoProvider } from '@azure/msal-node';
import { BatchRequestContent, BatchResponseContent, Client, PageIterator, type PageCollection } from '@microsoft/microsoft-graph-client';

interface Config {
  graphBaseUrl: string; authorityUrl: string; knownAuthority: string; authorityMetadata: string;
  tenant: string; appId: string; secret: string; certAppId: string; certKeyPem: string; certThumbprintSha256: string;
  redirectUri: string; alice: string; bob: string;
}

const cfg = JSON.parse(process.env['SIM_FIDELITY_CONFIG'] ?? '{}') as Config;
const out: Record<string, unknown> = {};

function graph(token: () => Promise<string>): Client {
  return Client.initWithMiddleware({
    authProvider: { getAccessToken: token },
    baseUrl: cfg.graphBaseUrl,
    customHosts: new Set(['localhost']),
  });
}

const common = {
  authority: `${cfg.authorityUrl}/${cfg.tenant}`,
  knownAuthorities: [cfg.knownAuthority],
  authorityMetadata: cfg.authorityMetadata,
};

const secretApp = new ConfidentialClientApplication({ auth: { clientId: cfg.appId, clientSecret: cfg.secret, ...common } });
const secretToken = await secretApp.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
out['secretToken'] = { tokenType: secretToken?.tokenType, hasToken: (secretToken?.accessToken.length ?? 0) > 0, expiresOn: secretToken?.expiresOn?.toISOString() };

const certApp = new ConfidentialClientApplication({
  auth: { clientId: cfg.certAppId, clientCertificate: { thumbprintSha256: cfg.certThumbprintSha256, privateKey: cfg.certKeyPem }, ...common },
});
const certToken = await certApp.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
out['certToken'] = { hasToken: (certToken?.accessToken.length ?? 0) > 0 };

const client = graph(async () => (await secretApp.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] }))?.accessToken ?? '');
const created = await client.api(`/users/${cfg.alice}/calendar/events`).header('Prefer', 'outlook.timezone="W. Europe Standard Time"').post({
  subject: 'Fidelity', start: { dateTime: '2026-03-02T10:00:00', timeZone: 'W. Europe Standard Time' }, end: { dateTime: '2026-03-02T10:30:00', timeZone: 'W. Europe Standard Time' },
  body: { contentType: 'HTML', content: '<b>hello</b>' }, attendees: [{ type: 'required', emailAddress: { address: cfg.bob, name: 'Bob' } }],
}) as Record<string, unknown>;
out['created'] = created;
out['got'] = await client.api(`/users/${cfg.alice}/events/${String(created['id'])}`).select('subject,start,end').get() as unknown;

for (let i = 0; i < 13; i += 1) {
  await client.api(`/users/${cfg.bob}/events`).post({ subject: `Paged ${i}`, start: { dateTime: `2026-04-${String(i + 1).padStart(2, '0')}T08:00:00`, timeZone: 'UTC' }, end: { dateTime: `2026-04-${String(i + 1).padStart(2, '0')}T09:00:00`, timeZone: 'UTC' } });
}
const firstPage = await client.api(`/users/${cfg.bob}/calendar/calendarView`).query({ startDateTime: '2026-04-01T00:00:00Z', endDateTime: '2026-05-01T00:00:00Z' }).top(5).get() as PageCollection;
const subjects: string[] = [];
const iterator = new PageIterator(client, firstPage, (item: { subject: string }) => {
  subjects.push(item.subject);
  return true;
});
await iterator.iterate();
out['paged'] = { subjects, complete: iterator.isComplete(), firstPageSize: firstPage.value.length };

const deltaFirst = await client.api(`/users/${cfg.bob}/calendarView/delta`).query({ startDateTime: '2026-04-01T00:00:00Z', endDateTime: '2026-05-01T00:00:00Z' }).header('Prefer', 'odata.maxpagesize=4').get() as PageCollection;
const deltaIds: string[] = [];
const deltaIterator = new PageIterator(client, deltaFirst, (item: { id: string }) => {
  deltaIds.push(item.id);
  return true;
}, { headers: { Prefer: 'odata.maxpagesize=4' } });
await deltaIterator.iterate();
out['delta'] = { count: deltaIds.length, deltaLink: deltaIterator.getDeltaLink() };

const batch = new BatchRequestContent();
batch.addRequest({ id: '1', request: new Request(`${cfg.graphBaseUrl}/v1.0/users/${cfg.alice}/events`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ subject: 'Batched', start: { dateTime: '2026-03-03T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-03-03T11:00:00', timeZone: 'UTC' } }) }) });
batch.addRequest({ id: '2', request: new Request(`${cfg.graphBaseUrl}/v1.0/users/${cfg.alice}/events/doesnotexist`, { method: 'GET' }), dependsOn: ['1'] });
batch.addRequest({ id: '3', request: new Request(`${cfg.graphBaseUrl}/v1.0/users/${cfg.alice}/mailboxSettings`, { method: 'GET' }), dependsOn: ['2'] });
const batchResponse = new BatchResponseContent(await client.api('/$batch').post(await batch.getContent()) as { responses: [] });
out['batch'] = ['1', '2', '3'].map((id) => batchResponse.getResponseById(id)?.status);

try {
  await client.api(`/users/${cfg.alice}/events/AAMkAGInope`).get();
  out['notFound'] = 'no error';
} catch (error) {
  const e = error as { statusCode?: number; code?: string; requestId?: string };
  out['notFound'] = { statusCode: e.statusCode, code: e.code, hasRequestId: typeof e.requestId === 'string' };
}

// Authorization code + PKCE, then refresh through acquireTokenSilent.
const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
const authUrl = await secretApp.getAuthCodeUrl({ scopes: ['Calendars.ReadWrite'], redirectUri: cfg.redirectUri, codeChallenge: challenge, codeChallengeMethod: 'S256', loginHint: 'alice@contoso.com' });
const redirected = await fetch(authUrl, { redirect: 'manual' });
const location = new URL(redirected.headers.get('location') ?? 'https://invalid/');
const code = location.searchParams.get('code') ?? '';
const byCode = await secretApp.acquireTokenByCode({ code, scopes: ['Calendars.ReadWrite'], redirectUri: cfg.redirectUri, codeVerifier: verifier });
out['authCode'] = { username: byCode.account?.username, homeAccountId: byCode.account?.homeAccountId, scopes: byCode.scopes };
const me = graph(() => Promise.resolve(byCode.accessToken));
const myEvents = await me.api('/me/events').select('subject').top(50).get() as { value: { subject: string }[] };
out['meEvents'] = myEvents.value.map((e) => e.subject);
if (byCode.account !== null) {
  const refreshed = await secretApp.acquireTokenSilent({ account: byCode.account, scopes: ['Calendars.ReadWrite'], forceRefresh: true });
  out['refreshed'] = { changed: refreshed.accessToken !== byCode.accessToken, hasToken: refreshed.accessToken.length > 0 };
}
try {
  await me.api(`/users/${cfg.bob}/events`).get();
  out['otherMailbox'] = 'no error';
} catch (error) {
  out['otherMailbox'] = { statusCode: (error as { statusCode?: number }).statusCode, code: (error as { code?: string }).code };
}

process.stdout.write(`${JSON.stringify(out)}\n`);
