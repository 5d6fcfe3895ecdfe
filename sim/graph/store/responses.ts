/** Meeting responses: how an attendee's copy shows, and a proposed new time as Graph stores it. */
import { SimGraphError, type DateTimeTimeZone, type ResponseType, type TimeSlot } from '../model.js';
import { utcMsToZoned, zonedToUtcMs } from '../time/index.js';
import type { StoredEvent } from './event.js';
import { internObject } from './intern.js';

/**
 * How an attendee's copy shows: until answered, a meeting the organizer shows as busy is tentative
 * in the attendee's calendar (and in getSchedule); declined is free; accepted takes the organizer's.
 */
export function attendeeShowAs(organizerShowAs: StoredEvent['showAs'], response: ResponseType): StoredEvent['showAs'] {
  if (response === 'declined') return 'free';
  if (response === 'tentativelyAccepted') return organizerShowAs === 'free' ? 'free' : 'tentative';
  if (response === 'none' || response === 'notResponded') return organizerShowAs === 'busy' || organizerShowAs === 'oof' ? 'tentative' : organizerShowAs;
  return organizerShowAs;
}

export function normaliseTimeSlot(slot: TimeSlot): TimeSlot {
  const one = (dt: DateTimeTimeZone): DateTimeTimeZone => {
    const ms = zonedToUtcMs(dt);
    return { dateTime: utcMsToZoned(ms, dt.timeZone).dateTime, timeZone: dt.timeZone };
  };
  const start = one(slot.start);
  const end = one(slot.end);
  if (zonedToUtcMs(slot.end) <= zonedToUtcMs(slot.start)) throw new SimGraphError(400, 'ErrorInvalidRequest', 'The proposed new time must end after it starts.');
  return internObject({ start, end });
}
