 
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../clock.js';
import type { GraphSimulator } from '../../../index.js';
import { ALICE, APP, REDIRECT, SECRET, TENANT, appToken, call, postForm, startSeeded } from '../helpers.js';

let sim: GraphSimulator;
let token: string;
let id: string;
let master: string;
const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0));

beforeAll(async () => {
  sim = await startSeeded({ clock });
  token = await appToken(sim);
  const when = { start: { dateTime: '2026-01-09T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-01-09T11:00:00', timeZone: 'UTC' } };
  id = (await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, body: { subject: 'Ctx', ...when } })).body.id as string;
  master = (await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, {
    token, body: { subject: 'Series', ...when, recurrence: { pattern: { type: 'daily', interval: 1 }, range: { type: 'numbered', startDate: '2026-01-09', numberOfOccurrences: 3 } } },
  })).body.id as string;
});
afterAll(async () => sim.close());

async function delegatedToken(): Promise<string> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const scope = 'Calendars.ReadWrite MailboxSettings.ReadWrite offline_access';
  const q = new URLSearchParams({ client_id: APP, response_type: 'code', redirect_uri: REDIRECT, scope, state: 's', code_challenge: challenge, code_challenge_method: 'S256', login_hint: 'alice@contoso.com' });
  const res = await call(sim, 'GET', `/${TENANT}/oauth2/v2.0/authorize?${q.toString()}`);
  const code = new URL(String(res.headers['location'])).searchParams.get('code') ?? '';
  const tokens = await postForm(sim, `/${TENANT}/oauth2/v2.0/token`, { grant_type: 'authorization_code', client_id: APP, client_secret: SECRET, code, redirect_uri: REDIRECT, code_verifier: verifier, scope });
  return tokens.body.access_token as string;
}

describe('fidelity – @odata.context per request path', () => {
  it('contexts – the user key is echoed as sent (GUID, or UPN with @ encoded) and the calendar part follows the path', async () => {
    const meta = `${sim.graphBaseUrl}/v1.0/$metadata#`;
    const cases: [string, string][] = [
      [`/v1.0/users/${ALICE}/events`, `users('${ALICE}')/events`],
      [`/v1.0/users/alice@contoso.com/events`, `users('alice%40contoso.com')/events`],
      [`/v1.0/users/${ALICE}/calendar/events`, `users('${ALICE}')/calendar/events`],
      [`/v1.0/users/${ALICE}/calendars/AAMkCal/events`, `users('${ALICE}')/calendars('AAMkCal')/events`],
      [`/v1.0/users/${ALICE}/events/${id}`, `users('${ALICE}')/events/$entity`],
      [`/v1.0/users/${ALICE}/calendar/events/${id}`, `users('${ALICE}')/calendar/events/$entity`],
      [`/v1.0/users/${ALICE}/events?$select=subject`, `users('${ALICE}')/events(subject)`],
      [`/v1.0/users/${ALICE}/calendarView?startDateTime=2026-01-09T00:00:00Z&endDateTime=2026-01-10T00:00:00Z`, `users('${ALICE}')/calendarView`],
      [`/v1.0/users/${ALICE}/calendar/calendarView?startDateTime=2026-01-09T00:00:00Z&endDateTime=2026-01-10T00:00:00Z`, `users('${ALICE}')/calendar/calendarView`],
      [`/v1.0/users/${ALICE}/events/${master}/instances?startDateTime=2026-01-09T00:00:00Z&endDateTime=2026-01-12T00:00:00Z`, `users('${ALICE}')/events('${master}')/instances`],
      [`/v1.0/users/${ALICE}/calendarView/delta?startDateTime=2026-01-09T00:00:00Z&endDateTime=2026-01-10T00:00:00Z`, 'Collection(event)'],
      [`/v1.0/users/alice@contoso.com/mailboxSettings`, `users('alice%40contoso.com')/mailboxSettings`],
    ];
    for (const [url, context] of cases) {
      const res = await call(sim, 'GET', url, { token });
      expect(res.status, url).toBe(200);
      expect(res.body['@odata.context'], url).toBe(meta + context);
    }
  });

  it('contexts – /me answers with the signed-in user\'s id for events and Me for mailboxSettings', async () => {
    const me = await delegatedToken();
    const meta = `${sim.graphBaseUrl}/v1.0/$metadata#`;
    expect((await call(sim, 'GET', '/v1.0/me/events', { token: me })).body['@odata.context']).toBe(`${meta}users('${ALICE}')/events`);
    expect((await call(sim, 'GET', '/v1.0/me/calendar/events', { token: me })).body['@odata.context']).toBe(`${meta}users('${ALICE}')/calendar/events`);
    expect((await call(sim, 'GET', '/v1.0/me/mailboxSettings', { token: me })).body['@odata.context']).toBe(`${meta}Me/mailboxSettings`);
  });
});
