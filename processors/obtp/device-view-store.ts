import type { Db } from 'mongodb';
import { ByIdReader, unpackDocument } from '../../common/index.js';
import { DEVICE_BOOKINGS_VIEW, type DeviceViewReader } from './device-view.js';
import { ObtpViewUnavailableError } from './errors.js';

/** Reads device-bookings view documents from MongoDB by `_id`, packed fields unpacked; many devices loading at once share a query (`ByIdReader`). */
export class MongoDeviceViewReader implements DeviceViewReader {
  readonly #reader: ByIdReader;

  constructor(options: { db: Db }) {
    this.#reader = new ByIdReader(options.db);
  }

  async read(deviceId: string): Promise<Record<string, unknown> | null> {
    let doc: Record<string, unknown> | null;
    try {
      doc = await this.#reader.find(DEVICE_BOOKINGS_VIEW, deviceId);
    } catch (error) {
      throw new ObtpViewUnavailableError('A device view document cannot be read back from MongoDB; the record waits until it can.', { cause: error });
    }
    return doc === null ? null : unpackDocument(doc);
  }
}
