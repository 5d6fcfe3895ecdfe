import type { Clock } from '../common/index.js';
import { DeviceView, type DeviceBooking } from '../gateway/index.js';
import type { DeviceBookingEvent, MeetingOccurrence, PresenceChange, TopicValues } from '../schemas/index.js';

/**
 * What the demo dashboard shows, folded from the service's public topics. It holds only what those
 * topics carry in plaintext by design (ids, times, flags, provider kinds, counts): a subject or an
 * address never reaches the board, so the dashboard cannot leak one.
 */
export interface BoardMeeting {
  readonly meetingId: string;
  readonly start: number;
  readonly end: number;
  readonly isPrivate: boolean;
  readonly isAllDay: boolean;
  readonly providerKind: string;
  readonly keyword: string | null;
  readonly hasJoinDetails: boolean;
}

export interface BoardDevice {
  readonly deviceId: string;
  readonly bookings: readonly DeviceBooking[];
  /** The booking whose Join button shows now, if any. */
  readonly joinShowing: string | null;
}

export interface BoardSnapshot {
  readonly now: number;
  /** How many times faster than real time the service clock runs (1: real time). */
  readonly speed: number;
  readonly counts: Readonly<Record<string, number>>;
  readonly users: readonly { userId: string; meetings: readonly BoardMeeting[]; outOfOffice: boolean; until: number | null }[];
  readonly devices: readonly BoardDevice[];
  readonly recent: readonly { at: number; topic: string; text: string }[];
  readonly version: number;
}

const RECENT = 40;

export class DemoBoard {
  readonly #clock: Clock;
  readonly #speed: number;
  readonly #counts = new Map<string, number>();
  readonly #meetings = new Map<string, Map<string, BoardMeeting & { v: number }>>();
  readonly #presence = new Map<string, PresenceChange>();
  readonly #devices = new Map<string, DeviceView>();
  readonly #recent: { at: number; topic: string; text: string }[] = [];
  #version = 0;

  constructor(clock: Clock, speed = 1) {
    this.#clock = clock;
    this.#speed = speed;
  }

  get version(): number {
    return this.#version;
  }

  apply<T extends keyof TopicValues>(topic: T, value: TopicValues[T]): void {
    this.#counts.set(topic, (this.#counts.get(topic) ?? 0) + 1);
    this.#version += 1;
    if (topic === 'calendar.meetings.v1') this.#meeting(value as MeetingOccurrence);
    else if (topic === 'obtp.devices.v1') this.#device(value as DeviceBookingEvent);
    else if (topic === 'presence.v1') this.#presenceChange(value as PresenceChange);
  }

  #note(topic: string, text: string): void {
    this.#recent.unshift({ at: this.#clock.now(), topic, text });
    if (this.#recent.length > RECENT) this.#recent.length = RECENT;
  }

  #meeting(m: MeetingOccurrence): void {
    const user = `${m.tenantId}/${m.mailboxId}`;
    let meetings = this.#meetings.get(user);
    if (!meetings) this.#meetings.set(user, (meetings = new Map<string, BoardMeeting & { v: number }>()));
    const previous = meetings.get(m.meetingId);
    if (previous && previous.v >= m.version) return;
    if (m.op === 'REMOVE' || m.isCancelled) {
      meetings.delete(m.meetingId);
      this.#note('calendar.meetings.v1', `${m.mailboxId}: meeting removed`);
      return;
    }
    const keyword = m.intent ? `@${m.intent.provider.toLowerCase()}${m.intent.modifier === 'NONE' ? '' : `:${m.intent.modifier.toLowerCase()}`}` : null;
    meetings.set(m.meetingId, {
      meetingId: m.meetingId,
      start: m.start,
      end: m.end,
      isPrivate: m.isPrivate,
      isAllDay: m.isAllDay,
      providerKind: m.providerKind,
      keyword,
      hasJoinDetails: m.joinDetails !== null,
      v: m.version,
    });
    if (keyword && !previous?.keyword) this.#note('calendar.meetings.v1', `${m.mailboxId}: keyword meeting ${keyword}`);
    if (previous && !previous.hasJoinDetails && m.joinDetails !== null) this.#note('calendar.meetings.v1', `${m.mailboxId}: join details added`);
  }

  #device(e: DeviceBookingEvent): void {
    let device = this.#devices.get(e.deviceId);
    if (!device) this.#devices.set(e.deviceId, (device = new DeviceView(e.deviceId)));
    if (device.apply(e) === 'join-shown') this.#note('obtp.devices.v1', `${e.deviceId}: Join button shown`);
  }

  #presenceChange(p: PresenceChange): void {
    const user = `${p.tenantId}/${p.userId}`;
    const known = this.#presence.get(user);
    if (known && known.version > p.version) return;
    this.#presence.set(user, p);
    if (known?.outOfOffice !== p.outOfOffice) this.#note('presence.v1', `${p.userId}: ${p.outOfOffice ? 'out of office' : 'back'}`);
  }

  snapshot(): BoardSnapshot {
    const now = this.#clock.now();
    const userIds = new Set([...this.#meetings.keys(), ...this.#presence.keys()]);
    const users = [...userIds].sort().map((userId) => {
      const presence = this.#presence.get(userId);
      const meetings = [...(this.#meetings.get(userId)?.values() ?? [])]
        .filter((m) => m.end > now - 86_400_000)
        .sort((a, b) => a.start - b.start)
        .map(({ v: _v, ...m }) => m);
      return { userId, meetings, outOfOffice: presence?.outOfOffice ?? false, until: presence?.until ?? null };
    });
    const devices = [...this.#devices.values()]
      .sort((a, b) => a.deviceId.localeCompare(b.deviceId))
      .map((d) => ({ deviceId: d.deviceId, joinShowing: d.joinShowing, bookings: d.bookings(now) }));
    return { now, speed: this.#speed, counts: Object.fromEntries(this.#counts), users, devices, recent: [...this.#recent], version: this.#version };
  }
}
