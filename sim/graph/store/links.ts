import { SimGraphError, type Attendee } from '../model.js';
import type { StoredEvent } from './event.js';
import { iCalUId } from './ids.js';
import { internObject } from './intern.js';
import type { Mailbox } from './mailbox.js';
import { attendeeShowAs } from './responses.js';

/**
 * Links an attendee's copy of a meeting (loaded on its own, e.g. by the scenario generator) to the
 * organizer's event, as the store's own invitations are linked: the copy takes the organizer's
 * iCalUId (its exceptions too), is not the organizer's, and the response is the same on both
 * sides — a response already on the organizer's `attendees[]` shows on the copy, a room accepts
 * (as Exchange's resource booking does) and the organizer's entry for it says so. After linking,
 * accept/decline/tentativelyAccept on the copy reach the organizer's event.
 */
export function linkCopy(organizerEvent: StoredEvent, copyMbx: Mailbox, copy: StoredEvent, nowIso: string): void {
  if (organizerEvent === copy) throw new SimGraphError(400, 'ErrorInvalidRequest', 'An event cannot be linked to itself.');
  copy.iCalUId = organizerEvent.iCalUId;
  copy.isOrganizer = false;
  if (copy.exceptions !== undefined) {
    for (const [originalStartMs, ex] of copy.exceptions) {
      if (ex.cancelled) continue;
      const twin = organizerEvent.exceptions?.get(originalStartMs);
      ex.event.iCalUId = twin !== undefined && !twin.cancelled ? twin.event.iCalUId : iCalUId(organizerEvent.iCalUId, ex.event.startLocal.slice(0, 10));
    }
  }
  const address = copyMbx.mail.toLowerCase();
  const upn = copyMbx.userPrincipalName.toLowerCase();
  const mine = (a: Attendee): boolean => {
    const x = a.emailAddress.address.toLowerCase();
    return x === address || x === upn;
  };
  const entry = organizerEvent.attendees.find(mine);
  const answered = entry?.status !== undefined && entry.status.response !== 'none' && entry.status.response !== 'notResponded' && entry.status.response !== 'organizer';
  if (answered && entry.status !== undefined) {
    copy.response = entry.status.response;
    copy.responseTime = entry.status.time;
  } else if (copyMbx.kind === 'room') {
    copy.response = 'accepted';
    copy.responseTime = nowIso;
  } else {
    copy.response = 'notResponded';
  }
  copy.showAs = attendeeShowAs(organizerEvent.showAs, copy.response);
  if (!answered && copy.response !== 'notResponded' && entry !== undefined) {
    const status = { response: copy.response, time: copy.responseTime };
    organizerEvent.attendees = organizerEvent.attendees.map((a) => (a === entry ? internObject<Attendee>({ ...a, status }) : a));
  }
}
