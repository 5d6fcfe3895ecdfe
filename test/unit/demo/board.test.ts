import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/index.js';
import { DemoBoard } from '../../../demo/index.js';
import type { DeviceBookingEvent, MeetingOccurrence } from '../../../schemas/index.js';

const T0 = Date.UTC(2026, 11, 3, 9, 0);

function meeting(over: Partial<MeetingOccurrence> = {}): MeetingOccurrence {
  return {
    tenantId: 't1', mailboxId: 'm1', meetingId: 'a', seriesMasterId: null, version: 1, op: 'UPSERT',
    start: T0 + 3_600_000, end: T0 + 5_400_000, isAllDay: false, isCancelled: false, isPrivate: false, isOrganizer: true,
    showAs: 'BUSY', providerKind: 'NONE', intent: null, attendeeCount: 2, roomMailboxIds: [], keyRef: { keyId: 'k', version: 1 },
    subject: Buffer.from('SECRET-SUBJECT'), body: null, location: null, organizer: null, attendees: null, joinDetails: null, sourceFetchedAt: T0,
    responseStatus: 'ORGANIZER',
    ...over,
  };
}

function booking(over: Partial<DeviceBookingEvent> = {}): DeviceBookingEvent {
  return {
    deviceId: 'dev1', tenantId: 't1', bookingId: 'b1', action: 'BOOKING_UPSERT', start: T0 + 600_000, end: T0 + 3_600_000,
    isPrivate: false, providerKind: 'WEBEX', version: 1, keyRef: null, title: null, joinDetails: null, emittedAt: T0, joinAt: null, mailboxId: null, ...over,
  };
}

describe('demo board', () => {
  it('demo board – a meeting list follows upserts, ignores stale versions and drops removed meetings', () => {
    const board = new DemoBoard(new ManualClock(T0));
    board.apply('calendar.meetings.v1', meeting({ version: 2, intent: { provider: 'WEBEX', modifier: 'NONE' } }));
    board.apply('calendar.meetings.v1', meeting({ version: 1, start: T0 }));
    let user = board.snapshot().users[0]!;
    expect(user.meetings).toHaveLength(1);
    expect(user.meetings[0]!.start).toBe(T0 + 3_600_000);
    expect(user.meetings[0]!.keyword).toBe('@webex');
    board.apply('calendar.meetings.v1', meeting({ version: 3, op: 'REMOVE' }));
    user = board.snapshot().users[0]!;
    expect(user.meetings).toEqual([]);
  });

  it('demo board – a device shows its Join button between show and expire, and a removed booking takes it away', () => {
    const board = new DemoBoard(new ManualClock(T0));
    board.apply('obtp.devices.v1', booking());
    board.apply('obtp.devices.v1', booking({ action: 'JOIN_SHOW', version: 2 }));
    expect(board.snapshot().devices[0]!.joinShowing).toBe('b1');
    board.apply('obtp.devices.v1', booking({ action: 'JOIN_EXPIRE', version: 3 }));
    expect(board.snapshot().devices[0]!.joinShowing).toBeNull();
    board.apply('obtp.devices.v1', booking({ action: 'JOIN_SHOW', version: 4 }));
    board.apply('obtp.devices.v1', booking({ action: 'BOOKING_REMOVE', version: 5 }));
    expect(board.snapshot().devices[0]).toMatchObject({ joinShowing: null, bookings: [] });
  });

  it('demo board – presence switches and the snapshot never carries an encrypted field', () => {
    const board = new DemoBoard(new ManualClock(T0));
    board.apply('calendar.meetings.v1', meeting());
    board.apply('presence.v1', { tenantId: 't1', userId: 'm1', outOfOffice: true, since: T0, until: null, version: 1, updatedAt: T0 });
    const snapshot = board.snapshot();
    expect(snapshot.users[0]!.outOfOffice).toBe(true);
    expect(JSON.stringify(snapshot)).not.toContain('SECRET');
    expect(snapshot.counts).toEqual({ 'calendar.meetings.v1': 1, 'presence.v1': 1 });
  });
});
