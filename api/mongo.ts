import { Binary, type Collection, type Db, type Document } from 'mongodb';
import { systemClock, type Clock } from '../common/index.js';
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
 * How a meeting list reads its day documents: `one-query` is a single `find({_id: {$in: ids}})`,
 * `per-day` one `findOne({_id})` per day (in parallel). `auto` asks the server once: MongoDB, or a
 * FerretDB whose explain says it narrows `$in` by the `_id` index (the local stack's build,
 * decision 0003), get one query; any other FerretDB would scan the whole collection for it, so
 * it gets one read per day.
 */
export type DayReads = 'auto' | 'one-query' | 'per-day';

/** What a meeting list keeps of a day document (the rest stays in the database). */
const DAY_PROJECTION = { meetings: 1, deleted: 1 } as const;
/** An inconclusive probe (the collection does not exist yet) is asked again after this long. */
const PROBE_AGAIN_MS = 10_000;

/**
 * The materialized views in MongoDB, read by `_id` only: a meeting list reads its days in one
 * `$in` query where the server serves it by index (else one read per day), a device or a
 * presence one read. Documents marked `deleted` (the runtime's version-guarded removal) read as absent.
 */
export class MongoViewsReader implements ViewsReader {
  readonly #meetings: Collection<Document>;
  readonly #devices: Collection<Document>;
  readonly #presence: Collection<Document>;
  readonly #clock: Clock;
  #dayReads: DayReads;
  #probe: Promise<'one-query' | 'per-day'> | undefined;
  #probeAfter = 0;

  constructor(db: Db, options: { readonly names?: MongoViewNames; readonly dayReads?: DayReads; readonly clock?: Clock } = {}) {
    const names = options.names ?? DEFAULT_VIEW_NAMES;
    this.#meetings = db.collection(names.userMeetings);
    this.#devices = db.collection(names.deviceBookings);
    this.#presence = db.collection(names.presence);
    this.#dayReads = options.dayReads ?? 'auto';
    this.#clock = options.clock ?? systemClock;
  }

  /** How meeting lists read now (`auto` until the server has been asked). */
  get dayReads(): DayReads {
    return this.#dayReads;
  }

  /** Asks the server (once, shared by concurrent lists) whether `_id: {$in}` is served by index. */
  #dayReadMode(): Promise<'one-query' | 'per-day'> | 'one-query' | 'per-day' {
    if (this.#dayReads !== 'auto') return this.#dayReads;
    if (this.#probe !== undefined) return this.#probe;
    if (this.#clock.now() < this.#probeAfter) return 'per-day';
    this.#probe = (async () => {
      try {
        const plan = await this.#meetings.find({ _id: { $in: ['probe/a', 'probe/b'] } as never }).explain();
        const serverInfo = plan['serverInfo'] as { ferretdbVersion?: unknown } | undefined;
        if (serverInfo?.ferretdbVersion === undefined) this.#dayReads = 'one-query';
        else if (plan['filterPushdown'] === true) this.#dayReads = 'one-query';
        // FerretDB explains a collection that does not exist yet with an empty plan: ask again later.
        else if (Object.keys((plan['queryPlanner'] as object | undefined) ?? {}).length > 0) this.#dayReads = 'per-day';
      } catch {
        // The list itself reports an unreachable database; the probe is simply asked again later.
      }
      if (this.#dayReads === 'auto') this.#probeAfter = this.#clock.now() + PROBE_AGAIN_MS;
      this.#probe = undefined;
      return this.#dayReads === 'one-query' ? 'one-query' : 'per-day';
    })();
    return this.#probe;
  }

  async #days(ids: readonly string[]): Promise<(Document | null)[]> {
    if ((await this.#dayReadMode()) === 'per-day' || ids.length === 1) {
      return Promise.all(ids.map((id) => this.#meetings.findOne({ _id: id as never }, { projection: DAY_PROJECTION })));
    }
    const docs = await this.#meetings.find({ _id: { $in: ids } as never }, { projection: DAY_PROJECTION }).toArray();
    // Day order, as the per-day reads give (a meeting on several days reads the same either way).
    return docs.sort((a, b) => (String(a._id) < String(b._id) ? -1 : 1));
  }

  async userMeetings(tenantId: string, userId: string, from: number, to: number): Promise<readonly MeetingViewEntry[]> {
    const docs = await guarded('meeting list', () => this.#days(dayIds(tenantId, userId, from, to)));
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
