import { Binary, type Collection, type Db, type Document } from 'mongodb';
import { ServiceUnavailableError } from './errors.js';
import { DEFAULT_SETTINGS } from './memory.js';
import type { ApiStateStore, BookingViewEntry, OrgSettings, SettingsStore, DeviceBookingsView, MeetingViewEntry, PresenceView, ShowAs, ViewsReader } from './ports.js';
import type { ProviderKind } from '../schemas/index.js';

const DAY_MS = 86_400_000;

export interface MongoViewNames {
  /** One document per user per UTC day: `_id` tenantId/mailboxId/YYYY-MM-DD, `meetings: [...]`. */
  readonly userMeetings: string;
  /** One document per device: `_id` deviceId, `tenantId`, `mailboxId`, `bookings: [...]`. */
  readonly deviceBookings: string;
  /** One document per user: `_id` tenantId/userId. */
  readonly presence: string;
}

export const DEFAULT_VIEW_NAMES: MongoViewNames = Object.freeze({ userMeetings: 'user_meetings', deviceBookings: 'obtp_device_bookings', presence: 'presence' });

function bytes(value: unknown): Uint8Array | null {
  if (value instanceof Binary) return value.buffer;
  if (value instanceof Uint8Array) return value;
  return null;
}

function num(value: unknown, fallback = 0): number {
  return typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : fallback;
}

function dayIds(tenantId: string, mailboxId: string, from: number, to: number): string[] {
  const ids: string[] = [];
  for (let d = Math.floor(from / DAY_MS); d <= Math.floor((Math.max(to, from + 1) - 1) / DAY_MS); d += 1) {
    ids.push(`${tenantId}/${mailboxId}/${new Date(d * DAY_MS).toISOString().slice(0, 10)}`);
  }
  return ids;
}

async function guarded<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw new ServiceUnavailableError(`The views database cannot be read (${what}); retry shortly.`, { cause: error });
  }
}

/**
 * The materialized views in MongoDB, read by `_id` only (FerretDB pushes down nothing else):
 * one read per day of the range for meeting lists, one per device, one per presence. Documents
 * marked `deleted` (the runtime's version-guarded removal) read as absent.
 */
export class MongoViewsReader implements ViewsReader {
  readonly #meetings: Collection<Document>;
  readonly #devices: Collection<Document>;
  readonly #presence: Collection<Document>;

  constructor(db: Db, names: MongoViewNames = DEFAULT_VIEW_NAMES) {
    this.#meetings = db.collection(names.userMeetings);
    this.#devices = db.collection(names.deviceBookings);
    this.#presence = db.collection(names.presence);
  }

  async userMeetings(tenantId: string, userId: string, from: number, to: number): Promise<readonly MeetingViewEntry[]> {
    const docs = await guarded('meeting list', () => Promise.all(dayIds(tenantId, userId, from, to).map((id) => this.#meetings.findOne({ _id: id as never }))));
    const byId = new Map<string, MeetingViewEntry>();
    for (const doc of docs) {
      if (doc === null || doc['deleted'] === true || !Array.isArray(doc['meetings'])) continue;
      for (const m of doc['meetings'] as Record<string, unknown>[]) {
        const meetingId = String(m['meetingId']);
        const entry: MeetingViewEntry = {
          meetingId, mailboxId: userId, start: num(m['start']), end: num(m['end']), isAllDay: m['isAllDay'] === true, isCancelled: false, isPrivate: m['isPrivate'] === true,
          showAs: (typeof m['showAs'] === 'string' ? m['showAs'] : 'UNKNOWN') as ShowAs, providerKind: (typeof m['providerKind'] === 'string' ? m['providerKind'] : 'NONE') as ProviderKind,
          attendeeCount: typeof m['attendeeCount'] === 'number' ? m['attendeeCount'] : null, version: num(m['v'] ?? m['version']),
          subject: bytes(m['subject']), location: bytes(m['location']), organizer: bytes(m['organizer']), joinDetails: bytes(m['joinDetails']),
        };
        if (entry.end > from && entry.start < to) byId.set(meetingId, entry);
      }
    }
    return [...byId.values()];
  }

  async deviceBookings(tenantId: string, deviceId: string): Promise<DeviceBookingsView | undefined> {
    const doc = await guarded('device bookings', () => this.#devices.findOne({ _id: deviceId as never }));
    if (doc === null || doc['deleted'] === true || doc['tenantId'] !== tenantId) return undefined;
    const mailboxId = String(doc['mailboxId'] ?? '');
    const prefix = `${tenantId}/${mailboxId}/`;
    const bookings: BookingViewEntry[] = (Array.isArray(doc['bookings']) ? (doc['bookings'] as Record<string, unknown>[]) : []).map((b) => {
      const bookingId = String(b['bookingId']);
      return {
        bookingId, mailboxId, meetingId: bookingId.startsWith(prefix) ? bookingId.slice(prefix.length) : bookingId,
        start: num(b['start']), end: num(b['end']), joinAt: b['joinAt'] === null || b['joinAt'] === undefined ? null : num(b['joinAt']),
        isPrivate: b['isPrivate'] === true, providerKind: (typeof b['providerKind'] === 'string' ? b['providerKind'] : 'NONE') as ProviderKind, version: num(doc['v']),
        title: bytes(b['title']), joinDetails: bytes(b['joinDetails']),
      };
    });
    return { tenantId, deviceId, version: num(doc['v']), bookings };
  }

  async presence(tenantId: string, userId: string): Promise<PresenceView | undefined> {
    const doc = await guarded('presence', () => this.#presence.findOne({ _id: `${tenantId}/${userId}` as never }));
    if (doc === null || doc['deleted'] === true) return undefined;
    return {
      outOfOffice: doc['outOfOffice'] === true, since: doc['since'] === null || doc['since'] === undefined ? null : num(doc['since']),
      until: doc['until'] === null || doc['until'] === undefined ? null : num(doc['until']), version: num(doc['v']), updatedAt: num(doc['updatedAt']),
    };
  }
}

/** The API's own state (hashed tokens, sessions, pending sign-ins) in one collection, by `_id`. */
export class MongoStateStore implements ApiStateStore {
  readonly #collection: Collection<Document>;

  constructor(db: Db, collection = 'api_state') {
    this.#collection = db.collection(collection);
  }

  async get<T extends object>(id: string): Promise<T | undefined> {
    const doc = await guarded('state', () => this.#collection.findOne({ _id: id as never }));
    if (doc === null) return undefined;
    const { _id: _ignored, ...rest } = doc;
    return rest as T;
  }

  async put(id: string, value: object): Promise<void> {
    await guarded('state', () => this.#collection.replaceOne({ _id: id as never }, { ...value }, { upsert: true }));
  }

  async delete(id: string): Promise<void> {
    await guarded('state', () => this.#collection.deleteOne({ _id: id as never }));
  }
}

/** Org settings in MongoDB, one document per organisation (`_id` orgId); an organisation without one reads the defaults. */
export class MongoSettingsStore implements SettingsStore {
  readonly #collection: Collection<Document>;

  constructor(db: Db, collection = 'api_org_settings') {
    this.#collection = db.collection(collection);
  }

  async get(orgId: string): Promise<OrgSettings> {
    const doc = await guarded('settings', () => this.#collection.findOne({ _id: orgId as never }));
    if (doc === null) return DEFAULT_SETTINGS;
    const { _id: _ignored, ...rest } = doc;
    return { ...DEFAULT_SETTINGS, ...(rest as Partial<OrgSettings>) };
  }

  async put(orgId: string, settings: OrgSettings): Promise<void> {
    await guarded('settings', () => this.#collection.replaceOne({ _id: orgId as never }, { ...settings }, { upsert: true }));
  }
}
