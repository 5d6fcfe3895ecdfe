import type { Db } from 'mongodb';
import { unpackDocument } from '../../common/index.js';
import { DEVICE_BOOKINGS_VIEW, type DeviceViewReader } from './device-view.js';
import { ObtpViewUnavailableError } from './errors.js';

/** Reads device-bookings view documents from MongoDB by `_id`, packed fields unpacked. */
export class MongoDeviceViewReader implements DeviceViewReader {
  readonly #db: Db;

  constructor(options: { db: Db }) {
    this.#db = options.db;
  }

  async read(deviceId: string): Promise<Record<string, unknown> | null> {
    let doc: Record<string, unknown> | null;
    try {
      doc = await this.#db.collection(DEVICE_BOOKINGS_VIEW).findOne({ _id: deviceId as never });
    } catch (error) {
      throw new ObtpViewUnavailableError('A device view document cannot be read back from MongoDB; the record waits until it can.', { cause: error });
    }
    return doc === null ? null : unpackDocument(doc);
  }
}
