import type { Db } from 'mongodb';
import { ByIdReader, unpackDocument } from '../../common/index.js';
import { MaterializeViewUnavailableError } from './errors.js';
import { USER_MEETINGS_VIEW, type DayReader } from './processor.js';

/**
 * Reads day documents from MongoDB by `_id`, once per key load: the days of every key loading in
 * the same turn share a query (`ByIdReader`, `$in` by `_id`).
 */
export class MongoDayReader implements DayReader {
  readonly #reader: ByIdReader;

  constructor(options: { db: Db }) {
    this.#reader = new ByIdReader(options.db);
  }

  async read(ids: readonly string[]): Promise<Record<string, unknown>[]> {
    let docs: (Record<string, unknown> | null)[];
    try {
      docs = await Promise.all(ids.map((id) => this.#reader.find(USER_MEETINGS_VIEW, id)));
    } catch (error) {
      throw new MaterializeViewUnavailableError('Day documents of a meeting list cannot be read back from MongoDB; the record waits until they can.', { cause: error });
    }
    return docs.flatMap((doc) => (doc === null ? [] : [unpackDocument(doc)]));
  }
}
