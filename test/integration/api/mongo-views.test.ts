import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/clock.js';
import { packFields } from '../../../common/index.js';
import { Keyring, MemoryDataKeyStore, MemoryTenantKeyStore, TenantKeyVault } from '../../../kms/index.js';
import { CARD_FIELD, cardPlaintext } from '../../../schemas/index.js';
import {
  MemoryCalendarActions, MemoryConnections, MemoryProvisioning, MemorySettings, MongoStateStore, MongoViewsReader, TokenService, buildApi,
} from '../../../api/index.js';

const TENANT = '44444444-4444-4444-8444-444444444444';
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const DAY = 86_400_000;

describe('api on MongoDB views (real FerretDB)', () => {
  let client: MongoClient;
  let db: Db;
  beforeAll(async () => {
    client = await MongoClient.connect(process.env['MONGODB_URI']!);
    db = client.db(`hycal_api_${randomBytes(4).toString('hex')}`);
  });
  afterAll(async () => {
    await db.dropDatabase();
    await client.close();
  });

  it('mongo views – meeting lists (day documents read by _id), device bookings and presence read in the pipeline\'s document shapes (lists and bookings packed, or unpacked as written before); tokens live hashed in api_state', async () => {
    const clock = new ManualClock(T0);
    const vault = new TenantKeyVault({ masterKey: randomBytes(32), store: new MemoryTenantKeyStore(), clock });
    const keyring = new Keyring({ store: new MemoryDataKeyStore(), providers: { cloud: vault }, clock });
    const enc = (mailboxId: string, meetingId: string, field: string, text: string) => keyring.encryptField({ tenantId: TENANT, recordKey: `${TENANT}/${mailboxId}`, entityId: meetingId, field }, Buffer.from(text));
    const item = async (meetingId: string, start: number, end: number, subject: string) => ({
      meetingId, seriesMasterId: null, v: 2, start, end, isAllDay: false, isPrivate: false, isOrganizer: true, responseStatus: 'ORGANIZER', showAs: 'BUSY', providerKind: 'WEBEX',
      intent: null, keyRef: { keyId: 'dk-x', version: 1 }, subject: await enc('u1', meetingId, 'subject', subject), location: null, organizer: null, joinDetails: null,
    });
    // This one as the materializer stores a meeting sealed with its card (the first as one written before cards).
    const { subject: _subject, location: _location, organizer: _organizer, joinDetails: _join, ...plain } = await item('m2', T0 + 86_400_000 - 3_600_000, T0 + 86_400_000 + 3_600_000, 'Across midnight');
    const multiDay = { ...plain, card: await keyring.encryptField({ tenantId: TENANT, recordKey: `${TENANT}/u1`, entityId: 'm2', field: CARD_FIELD }, cardPlaintext({ subject: 'Across midnight', location: null, organizer: null, joinDetails: null })) };
    await db.collection('user_meetings').insertMany([
      { _id: `${TENANT}/u1/2026-01-05` as never, tenantId: TENANT, mailboxId: 'u1', day: '2026-01-05', meetings: [await item('m1', T0, T0 + 1_800_000, 'Planning'), multiDay], v: 4 },
      // As the pipeline stores a day now: its meetings packed (common/packed.ts); the day before as written before packing.
      { _id: `${TENANT}/u1/2026-01-06` as never, ...packFields({ tenantId: TENANT, mailboxId: 'u1', day: '2026-01-06', meetings: [multiDay] }, ['meetings']), v: 4 },
      { _id: `${TENANT}/u1/2026-01-07` as never, v: 5, deleted: true },
    ]);
    await db.collection('obtp_device_bookings').insertOne({ _id: 'dev-1' as never, v: 9, ...packFields({ tenantId: TENANT, mailboxId: 'room-1', deviceId: 'dev-1', mode: 'shared', bookings: [
      { bookingId: `${TENANT}/room-1/m9`, start: T0 + 3_600_000, end: T0 + 7_200_000, isPrivate: false, label: null, providerKind: 'WEBEX', keyRef: null, title: await enc('room-1', 'm9', 'subject', 'Board'), joinDetails: null, joinAt: T0 + 3_300_000, joinShown: false },
    ] }, ['bookings']) });
    await db.collection('presence').insertOne({ _id: `${TENANT}/u1` as never, tenantId: TENANT, userId: 'u1', outOfOffice: true, since: T0, until: null, updatedAt: T0, v: 2 });

    const state = new MongoStateStore(db);
    const provisioning = new MemoryProvisioning({ orgs: [{ orgId: 'org', admins: [], homeTenantId: TENANT }], consent: { authorityUrl: 'https://login.example.test', clientId: 'c' } });
    const app = await buildApi({ publicBaseUrl: 'http://127.0.0.1:1', cookieSecret: 'c'.repeat(40), oidc: { authorityUrl: 'https://login.example.test', clientId: 'c', clientSecret: 's' } },
      { views: new MongoViewsReader(db), decryptor: keyring, provisioning, connections: new MemoryConnections(), settings: new MemorySettings(), actions: new MemoryCalendarActions(), state }, { clock });
    const tokens = new TokenService(state, clock);
    const user = (await tokens.issue({ orgId: 'org', kind: 'user', tenantId: TENANT, subject: 'u1', ttlMs: 86_400_000 })).token;
    const device = (await tokens.issue({ orgId: 'org', kind: 'device', tenantId: TENANT, subject: 'dev-1', ttlMs: 86_400_000 })).token;
    const range = 'from=2026-01-05T00:00:00Z&to=2026-01-08T00:00:00Z';
    const meetings = await app.inject({ url: `/v1/tenants/${TENANT}/users/u1/meetings?${range}`, headers: { authorization: `Bearer ${user}` } });
    expect(meetings.statusCode).toBe(200);
    expect(meetings.json<{ meetings: { subject: string }[] }>().meetings.map((m) => m.subject)).toEqual(['Planning', 'Across midnight']);
    const bookings = await app.inject({ url: `/v1/tenants/${TENANT}/devices/dev-1/bookings?${range}`, headers: { authorization: `Bearer ${device}` } });
    expect(bookings.json()).toMatchObject({ version: 9, bookings: [{ id: `${TENANT}/room-1/m9`, title: 'Board', joinAt: new Date(T0 + 3_300_000).toISOString() }] });
    const presence = await app.inject({ url: `/v1/tenants/${TENANT}/users/u1/presence`, headers: { authorization: `Bearer ${user}` } });
    expect(presence.json()).toMatchObject({ outOfOffice: true, version: 2 });
    const stored = JSON.stringify(await db.collection('api_state').find({}).toArray());
    expect(stored).not.toContain(user.split('.')[1]);
    await app.close();
  });

  it('mongo views – a week reads the same in one $in query and one read per day; auto uses one query only where the server narrows $in by _id', async () => {
    const views = db.collection('week_meetings');
    const item = (meetingId: string, start: number, end: number) => ({ meetingId, v: 1, start, end, isAllDay: false, isPrivate: false, showAs: 'BUSY', providerKind: 'NONE', subject: null, location: null, organizer: null, joinDetails: null });
    const span = item('span', T0 + DAY - 3_600_000, T0 + DAY + 3_600_000);
    await views.insertMany([
      ...Array.from({ length: 7 }, (_, d) => ({
        _id: `${TENANT}/u7/${new Date(T0 + d * DAY).toISOString().slice(0, 10)}` as never, tenantId: TENANT, mailboxId: 'u7', v: 1,
        meetings: d === 0 ? [item('m0', T0, T0 + 1_800_000), span] : d === 1 ? [span, item('m1', T0 + DAY + 7_200_000, T0 + DAY + 9_000_000)] : d === 3 ? [] : [item(`m${d}`, T0 + d * DAY, T0 + d * DAY + 600_000)],
      })),
      { _id: `${TENANT}/u7/2026-01-13` as never, v: 2, deleted: true },
      // Other users' days around the week, which neither read may return.
      ...Array.from({ length: 30 }, (_, i) => ({ _id: `${TENANT}/other${i}/2026-01-06` as never, tenantId: TENANT, mailboxId: `other${i}`, v: 1, meetings: [item(`x${i}`, T0 + DAY, T0 + DAY + 60_000)] })),
    ]);
    const names = { userMeetings: 'week_meetings', deviceBookings: 'obtp_device_bookings', presence: 'presence' };
    const from = Date.UTC(2026, 0, 5);
    const read = async (reader: MongoViewsReader) => [...(await reader.userMeetings(TENANT, 'u7', from, from + 9 * DAY))].map((m) => m.meetingId).sort();
    const expected = ['m0', 'm1', 'm2', 'm4', 'm5', 'm6', 'span'];
    expect(await read(new MongoViewsReader(db, { names, dayReads: 'per-day' }))).toEqual(expected);
    expect(await read(new MongoViewsReader(db, { names, dayReads: 'one-query' }))).toEqual(expected);
    const auto = new MongoViewsReader(db, { names });
    expect(auto.dayReads).toBe('auto');
    expect(await read(auto)).toEqual(expected);
    const plan = await views.find({ _id: { $in: ['a', 'b'] } as never }).explain();
    const narrows = (plan['serverInfo'] as { ferretdbVersion?: string }).ferretdbVersion === undefined || plan['filterPushdown'] === true;
    expect(auto.dayReads).toBe(narrows ? 'one-query' : 'per-day');
    // A FerretDB explains a collection that does not exist yet with an empty plan: no decision then.
    const fresh = new MongoViewsReader(db, { names: { ...names, userMeetings: 'no_such_view' } });
    expect(await fresh.userMeetings(TENANT, 'u7', from, from + 7 * DAY)).toEqual([]);
    expect(fresh.dayReads).toBe((plan['serverInfo'] as { ferretdbVersion?: string }).ferretdbVersion === undefined ? 'one-query' : 'auto');
  });

  it('mongo views – the stored-view cache keeps tenants and users apart, and a change shows within cacheMs of being written', async () => {
    const other = '55555555-5555-4555-8555-555555555555';
    const views = db.collection('cached_meetings');
    const item = (meetingId: string) => ({ meetingId, v: 1, start: T0, end: T0 + 1_800_000, isAllDay: false, isPrivate: false, showAs: 'BUSY', providerKind: 'NONE', subject: null, location: null, organizer: null, joinDetails: null });
    // The same user id and day in two tenants, and a second user of the first tenant.
    await views.insertMany([
      { _id: `${TENANT}/u1/2026-01-05` as never, tenantId: TENANT, mailboxId: 'u1', v: 1, meetings: [item('t1-u1')] },
      { _id: `${other}/u1/2026-01-05` as never, tenantId: other, mailboxId: 'u1', v: 1, meetings: [item('t2-u1')] },
      { _id: `${TENANT}/u2/2026-01-05` as never, tenantId: TENANT, mailboxId: 'u2', v: 1, meetings: [item('t1-u2')] },
    ]);
    const clock = new ManualClock(T0);
    const reader = new MongoViewsReader(db, { names: { userMeetings: 'cached_meetings', deviceBookings: 'obtp_device_bookings', presence: 'presence' }, clock, cacheMs: 1_000 });
    const from = Date.UTC(2026, 0, 5);
    const ids = async (tenantId: string, userId: string) => (await reader.userMeetings(tenantId, userId, from, from + 7 * DAY)).map((m) => `${m.meetingId}@${m.mailboxId}`);
    expect(await ids(TENANT, 'u1')).toEqual(['t1-u1@u1']);
    expect(await ids(other, 'u1')).toEqual(['t2-u1@u1']);
    expect(await ids(TENANT, 'u2')).toEqual(['t1-u2@u2']);
    expect(await ids(other, 'u2')).toEqual([]);
    // Within cacheMs a list may still show the day as read; from cacheMs after the write on, never.
    await views.updateOne({ _id: `${TENANT}/u1/2026-01-05` as never }, { $set: { v: 2, meetings: [item('t1-u1'), item('t1-u1-new')] } });
    clock.advance(999);
    expect(await ids(TENANT, 'u1')).toEqual(['t1-u1@u1']);
    clock.advance(1);
    expect(await ids(TENANT, 'u1')).toEqual(['t1-u1@u1', 't1-u1-new@u1']);
    expect(await ids(other, 'u1')).toEqual(['t2-u1@u1']);
  });
});
