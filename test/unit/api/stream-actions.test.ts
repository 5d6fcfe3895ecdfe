import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEVICE_1, T0, TENANT_A, USER_1, USER_2, makeFixture, type Fixture } from './fixture.js';

interface SseEvent { id: string; event: string; data: string }

/** Opens the stream and resolves with the first `count` events (then disconnects). */
function readEvents(port: number, path: string, headers: Record<string, string>, count: number): Promise<SseEvent[]> {
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let cut;
        while ((cut = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
          if (field('event') !== undefined) events.push({ id: field('id') ?? '', event: field('event')!, data: field('data') ?? '' });
          if (events.length >= count) {
            req.destroy();
            resolve(events);
          }
        }
      });
    });
    req.on('error', (error) => (events.length >= count ? undefined : reject(error)));
    req.end();
  });
}

describe('api – OBTP stream and calendar actions', () => {
  const open: Fixture[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((f) => f.close()));
  });

  it('obtp stream – resumes with Last-Event-ID across a server restart: only newer view versions are sent', async () => {
    const a = await makeFixture({ streamPollMs: 20 });
    open.push(a);
    const token = await a.token('device', TENANT_A, DEVICE_1);
    a.views.setDevice({ tenantId: TENANT_A, deviceId: DEVICE_1, version: 3, bookings: [await a.booking(TENANT_A, 'room-1', 'b1', T0 + 3_600_000, { subject: 'Standup', join: 'https://x.webex.com/meet/s' })] });
    await a.app.listen({ host: '127.0.0.1', port: 0 });
    const path = `/v1/tenants/${TENANT_A}/devices/${DEVICE_1}/obtp`;
    const first = await readEvents((a.app.server.address() as AddressInfo).port, path, { authorization: `Bearer ${token}` }, 1);
    expect(first[0]!.id).toBe('3');
    expect(JSON.parse(first[0]!.data)).toMatchObject({ version: 3, bookings: [{ id: 'b1', title: 'Standup', joinAt: new Date(T0 + 3_300_000).toISOString() }] });
    await a.close();
    open.pop();

    // The view moves on while the server is down; a new server process shares only the views and the token store.
    a.views.setDevice({ tenantId: TENANT_A, deviceId: DEVICE_1, version: 5, bookings: [] });
    const b = await makeFixture({ streamPollMs: 20 }, { state: a.state, views: a.views, keyring: a.keyring, clock: a.clock });
    open.push(b);
    await b.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (b.app.server.address() as AddressInfo).port;
    const resumed = await readEvents(port, path, { authorization: `Bearer ${token}`, 'last-event-id': '3' }, 1);
    expect(resumed.map((e) => e.id)).toEqual(['5']);
    expect(JSON.parse(resumed[0]!.data)).toEqual({ version: 5, bookings: [] });
    // Up to date: nothing until the view changes, then exactly the new version.
    const pending = readEvents(port, path, { authorization: `Bearer ${token}`, 'last-event-id': '5' }, 1);
    await new Promise((r) => setTimeout(r, 100));
    b.views.setDevice({ tenantId: TENANT_A, deviceId: DEVICE_1, version: 6, bookings: [] });
    expect((await pending).map((e) => e.id)).toEqual(['6']);
  });

  it('obtp stream – a malformed Last-Event-ID or another device\'s token is refused before streaming', async () => {
    const f = await makeFixture();
    open.push(f);
    const path = `/v1/tenants/${TENANT_A}/devices/${DEVICE_1}/obtp`;
    const bad = await f.app.inject({ url: path, headers: { authorization: `Bearer ${await f.token('device', TENANT_A, DEVICE_1)}`, 'last-event-id': '../../x' } });
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'HC_ERR_API_INVALID_INPUT']);
    const other = await f.app.inject({ url: path, headers: { authorization: `Bearer ${await f.token('device', TENANT_A, 'device-2')}` } });
    expect([other.statusCode, other.json().error.code]).toEqual([403, 'HC_ERR_API_FORBIDDEN']);
  });

  it('actions – respond, create with @webex, cancel, delete and getSchedule reach CalendarActions for the authorized user', async () => {
    const f = await makeFixture();
    open.push(f);
    const h = { authorization: `Bearer ${await f.token('user', TENANT_A, USER_1)}` };
    const base = `/v1/tenants/${TENANT_A}/users/${USER_1}`;
    const slot = { start: { dateTime: '2026-01-06T10:00:00', timeZone: 'Europe/Zurich' }, end: { dateTime: '2026-01-06T10:30:00', timeZone: 'Europe/Zurich' } };
    expect((await f.app.inject({ method: 'POST', url: `${base}/events/AAMkAD=/respond`, headers: h, payload: { response: 'tentativelyAccept', comment: 'maybe later', sendResponse: true, proposedNewTime: slot } })).statusCode).toBe(204);
    expect((await f.app.inject({ method: 'POST', url: `${base}/events/AAMkAD=/respond`, headers: h, payload: { response: 'decline', comment: 'away', sendResponse: false } })).statusCode).toBe(204);
    const created = await f.app.inject({ method: 'POST', url: `${base}/events`, headers: h, payload: { subject: 'Plan', ...slot, location: '@webex', attendees: [{ address: 'bob@a.example', type: 'required' }, { address: 'room1@a.example', type: 'resource' }] } });
    expect(created.statusCode).toBe(201);
    expect((await f.app.inject({ method: 'POST', url: `${base}/events/evt-1/cancel`, headers: h, payload: { comment: 'sorry' } })).statusCode).toBe(204);
    expect((await f.app.inject({ method: 'DELETE', url: `${base}/events/evt-1`, headers: h })).statusCode).toBe(204);
    const schedule = await f.app.inject({ method: 'POST', url: `${base}/schedule`, headers: h, payload: { schedules: ['bob@a.example', 'room1@a.example'], ...slot, availabilityViewInterval: 15 } });
    expect(schedule.statusCode).toBe(200);
    expect(schedule.json().schedules).toEqual([
      { scheduleId: 'bob@a.example', availabilityView: '00', scheduleItems: [], error: null },
      { scheduleId: 'room1@a.example', availabilityView: '00', scheduleItems: [], error: null },
    ]);
    expect(f.actions.calls.map((c) => c.op)).toEqual(['tentativelyAccept', 'decline', 'create', 'cancel', 'delete', 'schedule']);
    expect(f.actions.calls[2]!.input).toMatchObject({ location: '@webex' });
    expect(f.actions.calls[0]!.input).toMatchObject({ comment: 'maybe later', sendResponse: true, proposedNewTime: slot });
    const accept = await f.app.inject({ method: 'POST', url: `${base}/events/AAMkAD=/respond`, headers: h, payload: { response: 'accept', sendResponse: true, proposedNewTime: slot } });
    expect(accept.statusCode).toBe(400);
    const otherUser = await f.app.inject({ method: 'DELETE', url: `/v1/tenants/${TENANT_A}/users/${USER_2}/events/evt-1`, headers: h });
    expect(otherUser.statusCode).toBe(403);
  });

  it('actions – a refused Graph call answers HC_ERR_API_GRAPH_REFUSED with Graph\'s reason', async () => {
    const f = await makeFixture();
    open.push(f);
    f.actions.refusals.set('evt-9', { status: 403, code: 'ErrorAccessDenied', message: 'Access is denied. Check credentials and try again.' });
    const res = await f.app.inject({ method: 'DELETE', url: `/v1/tenants/${TENANT_A}/users/${USER_1}/events/evt-9`, headers: { authorization: `Bearer ${await f.token('user', TENANT_A, USER_1)}` } });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toEqual({ code: 'HC_ERR_API_GRAPH_REFUSED', message: 'Microsoft 365 refused the action: Access is denied. Check credentials and try again. (ErrorAccessDenied)' });
  });
});
