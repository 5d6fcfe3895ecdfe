import type { Db } from 'mongodb';
import { ByIdReader, type Clock } from '../../common/index.js';
import { ObtpRegistryUnavailableError } from './errors.js';
import type { Device, DeviceMode } from './bookings.js';

/**
 * The device registry in MongoDB, read by `_id` only: `obtp_devices/{_id: tenantId/mailboxId,
 * devices: [{deviceId, mode}]}` (a room mailbox's workspace devices are `shared`, a user's
 * personal-mode devices `personal`), and `obtp_org_settings/{_id: tenantId, joinLeadMinutes}`.
 * Lookups are cached for `cacheMs`; those of many mailboxes at once share a query (`ByIdReader`).
 * A device registered later shows the meetings that change after its registration (a mailbox
 * without devices keeps no obtp state); a mailbox resync fills it.
 */
export interface DeviceRegistry {
  devicesOf(tenantId: string, mailboxId: string): Promise<readonly Device[]>;
  /** The org's Join-button lead time in ms. */
  leadMsOf(tenantId: string): Promise<number>;
}

export const DEVICES_COLLECTION = 'obtp_devices';
export const ORG_SETTINGS_COLLECTION = 'obtp_org_settings';

interface DevicesDoc {
  _id: string;
  devices: { deviceId: string; mode: DeviceMode }[];
}
interface OrgDoc {
  _id: string;
  joinLeadMinutes?: number;
}

export class MongoDeviceRegistry implements DeviceRegistry {
  readonly #reader: ByIdReader;
  readonly #clock: Clock;
  readonly #cacheMs: number;
  readonly #defaultLeadMs: number;
  readonly #devices = new Map<string, { at: number; value: readonly Device[] }>();
  readonly #leads = new Map<string, { at: number; value: number }>();

  constructor(options: { db: Db; clock: Clock; cacheMs: number; defaultLeadMinutes: number }) {
    this.#reader = new ByIdReader(options.db);
    this.#clock = options.clock;
    this.#cacheMs = options.cacheMs;
    this.#defaultLeadMs = options.defaultLeadMinutes * 60_000;
  }

  async devicesOf(tenantId: string, mailboxId: string): Promise<readonly Device[]> {
    return this.#cached(this.#devices, `${tenantId}/${mailboxId}`, async (id) => {
      const doc = (await this.#reader.find(DEVICES_COLLECTION, id)) as DevicesDoc | null;
      return (doc?.devices ?? []).map((d) => ({ deviceId: d.deviceId, mode: d.mode === 'shared' ? 'shared' : 'personal' }));
    });
  }

  async leadMsOf(tenantId: string): Promise<number> {
    return this.#cached(this.#leads, tenantId, async (id) => {
      const doc = (await this.#reader.find(ORG_SETTINGS_COLLECTION, id)) as OrgDoc | null;
      const minutes = doc?.joinLeadMinutes;
      return typeof minutes === 'number' && minutes >= 0 && minutes <= 60 ? minutes * 60_000 : this.#defaultLeadMs;
    });
  }

  async #cached<T>(cache: Map<string, { at: number; value: T }>, id: string, load: (id: string) => Promise<T>): Promise<T> {
    const now = this.#clock.now();
    const hit = cache.get(id);
    if (hit !== undefined && now - hit.at < this.#cacheMs) return hit.value;
    try {
      const value = await load(id);
      if (cache.size > 100_000) cache.clear();
      cache.set(id, { at: now, value });
      return value;
    } catch (error) {
      throw new ObtpRegistryUnavailableError('The device registry (MongoDB) cannot be read; the record waits until it can.', { cause: error });
    }
  }
}

/** Registers a mailbox's devices (admin tooling, tests, the demo). */
export async function registerDevices(db: Db, tenantId: string, mailboxId: string, devices: readonly Device[]): Promise<void> {
  await db.collection<DevicesDoc>(DEVICES_COLLECTION).replaceOne(
    { _id: `${tenantId}/${mailboxId}` },
    { devices: devices.map((d) => ({ deviceId: d.deviceId, mode: d.mode })) },
    { upsert: true },
  );
}

/** Sets an org's Join-button lead time (minutes, 0–60). */
export async function setJoinLeadMinutes(db: Db, tenantId: string, minutes: number): Promise<void> {
  await db.collection<OrgDoc>(ORG_SETTINGS_COLLECTION).replaceOne({ _id: tenantId }, { joinLeadMinutes: minutes }, { upsert: true });
}
