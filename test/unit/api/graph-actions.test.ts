/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument -- JSON from the wire */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../../common/clock.js';
import { GraphCalendarActions } from '../../../app/api-actions.js';
import { GraphConnections, graphAccessOptionsSchema } from '../../../graph/index.js';
import { Keyring, MemoryDataKeyStore, MemoryTenantKeyStore, TenantKeyVault } from '../../../kms/index.js';
import { MemoryConnections, MemoryProvisioning, MemorySettings, MemoryStateStore, MemoryViews, TokenService, buildApi } from '../../../api/index.js';
import type { GraphSimulator } from '@hybrid-calendar/sim-graph';
import { ALICE, APP, BOB, ROOM, SECRET, TENANT, appToken, call, startSeeded } from '../../../sim/graph/test/unit/helpers.js';
import { baseOptions } from './fixture.js';

const slot = (day: number, hour: number) => ({ dateTime: `2026-03-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00`, timeZone: 'UTC' });

describe('api calendar actions – through the shared Graph access library, against the simulator', () => {
  let sim: GraphSimulator;
  let connections: GraphConnections;
  let actions: GraphCalendarActions;
  let simToken: string;
  let app: FastifyInstance;
  let aliceToken: string;

  beforeAll(async () => {
    sim = await startSeeded();
    simToken = await appToken(sim);
    connections = new GraphConnections({
      options: graphAccessOptionsSchema.parse({ caPem: sim.caCertPem, graphBaseUrl: sim.graphBaseUrl, authorityHost: sim.authorityUrl, knownAuthorities: [sim.knownAuthority], authorityMetadata: sim.authorityMetadata, maxAttempts: 2 }),
      clock: systemClock,
    });
    const graph = connections.forTenant({ tenantId: TENANT, cloud: 'worldwide' }, { clientId: APP, credential: { kind: 'secret', clientSecret: SECRET } });
    actions = new GraphCalendarActions({ graphFor: () => Promise.resolve(graph) });
    const clock = new ManualClock(Date.now());
    const keyring = new Keyring({ store: new MemoryDataKeyStore(), providers: { cloud: new TenantKeyVault({ masterKey: randomBytes(32), store: new MemoryTenantKeyStore(), clock }) }, clock });
    const state = new MemoryStateStore();
    const provisioning = new MemoryProvisioning({ orgs: [{ orgId: 'org', admins: [], homeTenantId: TENANT }], consent: { authorityUrl: 'https://login.example.test', clientId: 'c' } });
    app = await buildApi(baseOptions(), { views: new MemoryViews(), decryptor: keyring, provisioning, connections: new MemoryConnections(), settings: new MemorySettings(), actions, state }, { clock });
    aliceToken = (await new TokenService(state, clock).issue({ orgId: 'org', kind: 'user', tenantId: TENANT, subject: ALICE, ttlMs: 3_600_000 })).token;
  });

  afterAll(async () => {
    await app.close();
    connections.close();
    await sim.close();
  });

  const bobsCopy = async (subject: string): Promise<any> => (await call(sim, 'GET', `/v1.0/users/${BOB}/events?$filter=subject eq '${subject}'`, { token: simToken })).body.value[0];

  it('actions – a meeting scheduled from the app lands in the calendar as typed: @webex stays in the location for write-back, attendees are invited', async () => {
    const created = await actions.createMeeting(TENANT, ALICE, {
      subject: 'Roadmap', start: slot(2, 10), end: slot(2, 11), location: 'Room 4 @webex', body: 'Agenda', attendees: [{ address: 'bob@contoso.com', type: 'required' }],
    });
    expect(created.ok).toBe(true);
    const eventId = created.ok ? created.value.eventId : '';
    const event = (await call(sim, 'GET', `/v1.0/users/${ALICE}/events/${eventId}`, { token: simToken })).body;
    expect(event.location.displayName).toBe('Room 4 @webex');
    expect(event.body.content).toContain('Agenda');
    expect(event.attendees.map((a: any) => a.emailAddress.address)).toEqual(['bob@contoso.com']);
    expect(await bobsCopy('Roadmap')).toBeDefined();
  });

  it('actions – tentatively accepting with a comment and a proposed new time reaches the organizer; a silent decline does not', async () => {
    const created = await actions.createMeeting(TENANT, ALICE, { subject: 'Sync', start: slot(3, 9), end: slot(3, 10), attendees: [{ address: 'bob@contoso.com', type: 'required' }] });
    const organizerId = created.ok ? created.value.eventId : '';
    const copy = await bobsCopy('Sync');
    const proposedNewTime = { start: slot(4, 9), end: slot(4, 10) };
    expect(await actions.respond(TENANT, BOB, copy.id, { response: 'tentativelyAccept', comment: 'Thursday?', sendResponse: true, proposedNewTime })).toEqual({ ok: true, value: null });
    const seen = (await call(sim, 'GET', `/v1.0/users/${ALICE}/events/${organizerId}`, { token: simToken })).body.attendees[0];
    expect(seen).toMatchObject({ status: { response: 'tentativelyAccepted' }, proposedNewTime: { start: { dateTime: '2026-03-04T09:00:00.0000000' } } });
    expect(await actions.respond(TENANT, BOB, copy.id, { response: 'decline', sendResponse: false })).toEqual({ ok: true, value: null });
    expect((await call(sim, 'GET', `/v1.0/users/${BOB}/events/${copy.id}`, { token: simToken })).body.responseStatus.response).toBe('declined');
    expect((await call(sim, 'GET', `/v1.0/users/${ALICE}/events/${organizerId}`, { token: simToken })).body.attendees[0].status.response).toBe('tentativelyAccepted');
  });

  it('actions – free/busy of people and rooms: availability view per interval, lower-cased item statuses, an unknown address as its own error', async () => {
    await actions.createMeeting(TENANT, ALICE, { subject: 'Busy hour', start: slot(5, 10), end: slot(5, 11), attendees: [] });
    const result = await actions.getSchedule(TENANT, ALICE, { schedules: ['alice@contoso.com', 'nobody@contoso.com'], start: slot(5, 9), end: slot(5, 12), availabilityViewInterval: 60 });
    if (!result.ok) throw new Error(result.message);
    const [alice, nobody] = result.value;
    expect(alice).toMatchObject({ scheduleId: 'alice@contoso.com', availabilityView: '020', error: null });
    expect(alice!.scheduleItems).toEqual([{ status: 'busy', start: { dateTime: '2026-03-05T10:00:00.0000000', timeZone: 'UTC' }, end: { dateTime: '2026-03-05T11:00:00.0000000', timeZone: 'UTC' } }]);
    expect(nobody!.error?.responseCode).toBe('ErrorMailRecipientNotFound');
    const room = await actions.getSchedule(TENANT, ALICE, { schedules: [(await call(sim, 'GET', `/v1.0/users/${ROOM}`, { token: simToken })).body.mail], start: slot(5, 9), end: slot(5, 12), availabilityViewInterval: 30 });
    expect(room.ok && room.value[0]!.availabilityView).toMatch(/^[0-3]{6}$/);
  });

  it('actions – the organizer cancels (attendees see it cancelled); an attendee cancelling is refused with Graph\'s reason over HTTP', async () => {
    const created = await actions.createMeeting(TENANT, ALICE, { subject: 'Offsite', start: slot(6, 9), end: slot(6, 10), attendees: [{ address: 'bob@contoso.com', type: 'required' }] });
    const organizerId = created.ok ? created.value.eventId : '';
    const copy = await bobsCopy('Offsite');
    const refused = await actions.cancelMeeting(TENANT, BOB, copy.id, 'not mine');
    expect(refused).toMatchObject({ ok: false, status: 400, code: 'ErrorAccessDenied' });
    const res = await app.inject({ method: 'POST', url: `/v1/tenants/${TENANT}/users/${ALICE}/events/${copy.id}/cancel`, headers: { authorization: `Bearer ${aliceToken}` }, payload: { comment: 'x' } });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('HC_ERR_API_GRAPH_REFUSED');
    expect(res.json().error.message).toMatch(/^Microsoft 365 refused the action: .+\(ErrorItemNotFound\)$/);
    const ok = await app.inject({ method: 'POST', url: `/v1/tenants/${TENANT}/users/${ALICE}/events/${organizerId}/cancel`, headers: { authorization: `Bearer ${aliceToken}` }, payload: { comment: 'Weather' } });
    expect(ok.statusCode).toBe(204);
    expect((await call(sim, 'GET', `/v1.0/users/${BOB}/events/${copy.id}`, { token: simToken })).body.isCancelled).toBe(true);
  });

  it('actions – delete removes the event; deleting it again is refused as not found', async () => {
    const created = await actions.createMeeting(TENANT, ALICE, { subject: 'Scratch', start: slot(7, 9), end: slot(7, 10), attendees: [] });
    const eventId = created.ok ? created.value.eventId : '';
    expect(await actions.deleteMeeting(TENANT, ALICE, eventId)).toEqual({ ok: true, value: null });
    expect((await call(sim, 'GET', `/v1.0/users/${ALICE}/events/${eventId}`, { token: simToken })).status).toBe(404);
    expect(await actions.deleteMeeting(TENANT, ALICE, eventId)).toMatchObject({ ok: false, status: 404, code: 'ErrorItemNotFound' });
  });
});
