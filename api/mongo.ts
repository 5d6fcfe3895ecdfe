import { Binary, type Collection, type Db, type Document } from 'mongodb';
import { PACKED_FIELD, probeIdReads, systemClock, unpackDocument, type Clock } from '../common/index.js';
import { ServiceUnavailableError } from './errors.js';
import { DEFAULT_SETTINGS } from './memory.js';
import type { ApiStateStore, BookingViewEntry, OrgSettings, SettingsStore, DeviceBookingsView, MeetingViewEntry, PresenceView, ShowAs, ViewsReader } from './ports.js';
import type { ProviderKind } from '../schemas/index.js';
import { StoredViewCache } from './view-cache.js';

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

/** The UTC days (YYYY-MM-DD) that [from, to) touches. */
function daysOf(from: number, to: number): string[] {
  const days: string[] = [];
  for (let d = Math.floor(from / DAY_MS); d <= Math.floor((Math.max(to, from + 1) - 1) / DAY_MS); d += 1) days.push(new Date(d * DAY_MS).toISOString().slice(0, 10));
  return days;
}

const NO_MEETINGS: readonly MeetingViewEntry[] = Object.freeze([]);

/** A stored day document's meetings as view entries (sensitive fields still encrypted), frozen: cached entries are shared. */
function dayEntries(doc: Document, userId: string): readonly MeetingViewEntry[] {
  if (!Array.isArray(doc['meetings'])) return NO_MEETINGS;
  return Object.freeze((doc['meetings'] as Record<string, unknown>[]).map((m): MeetingViewEntry => Object.freeze({
    meetingId: String(m['meetingId']), mailboxId: userId, start: num(m['start']), end: num(m['end']), isAllDay: m['isAllDay'] === true, isCancelled: false, isPrivate: m['isPrivate'] === true,
    showAs: (typeof m['showAs'] === 'string' ? m['showAs'] : 'UNKNOWN') as ShowAs, providerKind: (typeof m['providerKind'] === 'string' ? m['providerKind'] : 'NONE') as ProviderKind,
    attendeeCount: typeof m['attendeeCount'] === 'number' ? m['attendeeCount'] : null, version: num(m['v'] ?? m['version']),
    subject: bytes(m['subject']), location: bytes(m['location']), organizer: bytes(m['organizer']), joinDetails: bytes(m['joinDetails']), card: bytes(m['card']),
  })));
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
// A day's meetings are stored packed (`b`, common/packed.ts); `meetings` reads days written before that.
const DAY_PROJECTION = { meetings: 1, [PACKED_FIELD]: 1, deleted: 1 } as const;
/** An inconclusive probe (the collection does not exist yet) is asked again after this long. */
const PROBE_AGAIN_MS = 10_000;

export interface MongoViewsReaderOptions {
  readonly names?: MongoViewNames;
  readonly dayReads?: DayReads;
  readonly clock?: Clock;
  /**
   * How long a meeting list reuses a user's stored day documents (still encrypted) read by an
   * earlier list, ms (0: every list reads the database). A view written at W is seen by every
   * list from W + cacheMs on. Concurrent lists of the same days share one read either way.
   */
  readonly cacheMs?: number;
  /** Most user-days held by that cache (oldest read dropped first). */
  readonly cacheMaxEntries?: number;
}

/**
 * The materialized views in MongoDB, read by `_id` only: a meeting list reads its days in one
 * `$in` query where the server serves it by index (else one read per day), a device or a
 * presence one read. Documents marked `deleted` (the runtime's version-guarded removal) read as
 * absent. A user's day documents are kept as stored (encrypted) for `cacheMs` (see `StoredViewCache`).
 */
export class MongoViewsReader implements ViewsReader {
  readonly #meetings: Collection<Document>;
  readonly #devices: Collection<Document>;
  readonly #presence: Collection<Document>;
  readonly #clock: Clock;
  #dayReads: DayReads;
  #probe: Promise<'one-query' | 'per-day'> | undefined;
  #probeAfter = 0;
  readonly #cache: StoredViewCache<readonly MeetingViewEntry[]>;

  constructor(db: Db, options: MongoViewsReaderOptions = {}) {
    const names = options.names ?? DEFAULT_VIEW_NAMES;
    this.#meetings = db.collection(names.userMeetings);
    this.#devices = db.collection(names.deviceBookings);
    this.#presence = db.collection(names.presence);
    this.#dayReads = options.dayReads ?? 'auto';
    this.#clock = options.clock ?? systemClock;
    const ttlMs = options.cacheMs ?? 0;
    // Refreshed ahead once half the TTL has passed: a user's list in steady use never waits for its days.
    this.#cache = new StoredViewCache({
      ttlMs, clock: this.#clock, ...(ttlMs >= 2 ? { refreshAfterMs: Math.floor(ttlMs / 2) } : {}),
      ...(options.cacheMaxEntries === undefined ? {} : { maxEntries: options.cacheMaxEntries }),
    });
  }

  /** Day documents of meeting lists served by the stored-view cache (hits) and read (misses). */
  get cacheStats(): { readonly hits: number; readonly misses: number; readonly refreshes: number } {
    return this.#cache.stats;
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
      const mode = await probeIdReads(this.#meetings);
      if (mode === 'one-query' || mode === 'per-id') this.#dayReads = mode === 'one-query' ? 'one-query' : 'per-day';
      else this.#probeAfter = this.#clock.now() + PROBE_AGAIN_MS;
      this.#probe = undefined;
      return this.#dayReads === 'one-query' ? 'one-query' : 'per-day';
    })();
    return this.#probe;
  }

  /** The stored day documents of `ids` by `_id` (absent and deleted days left out). */
  async #days(ids: readonly string[]): Promise<Map<string, Document>> {
    const docs = (await this.#dayReadMode()) === 'per-day' || ids.length === 1
      ? await Promise.all(ids.map((id) => this.#meetings.findOne({ _id: id as never }, { projection: DAY_PROJECTION })))
      : await this.#meetings.find({ _id: { $in: ids } as never }, { projection: DAY_PROJECTION }).toArray();
    const byId = new Map<string, Document>();
    for (const doc of docs) if (doc !== null && doc['deleted'] !== true) byId.set(String(doc._id), unpackDocument(doc));
    return byId;
  }

  /** One user's stored days as view entries (fields still encrypted), through the cache when it is on. */
  async #userDays(tenantId: string, userId: string, days: readonly string[]): Promise<(readonly MeetingViewEntry[])[]> {
    const load = async (wanted: readonly string[]): Promise<Map<string, readonly MeetingViewEntry[]>> => {
      const docs = await this.#days(wanted);
      return new Map([...docs].map(([id, doc]) => [id, dayEntries(doc, userId)]));
    };
    // The key carries tenant, user and day apart (never a read wider than the caller's).
    const items = days.map((day) => ({ key: `${tenantId}\u0000${userId}\u0000${day}`, id: `${tenantId}/${userId}/${day}` }));
    return this.#cache.getMany(items, load, NO_MEETINGS);
  }

  async userMeetings(tenantId: string, userId: string, from: number, to: number): Promise<readonly MeetingViewEntry[]> {
    const days = await guarded('meeting list', () => this.#userDays(tenantId, userId, daysOf(from, to)));
    const byId = new Map<string, MeetingViewEntry>();
    // Day order, as the per-day reads give (a meeting on several days reads the same either way).
    for (const day of days) for (const entry of day) if (entry.end > from && entry.start < to) byId.set(entry.meetingId, entry);
    return [...byId.values()];
  }

  async deviceBookings(tenantId: string, deviceId: string): Promise<DeviceBookingsView | undefined> {
    const stored = await guarded('device bookings', () => this.#devices.findOne({ _id: deviceId as never }));
    // The bookings are stored packed (common/packed.ts).
    const doc = stored === null ? null : unpackDocument(stored);
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
