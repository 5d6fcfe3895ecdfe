import type { Db } from 'mongodb';
import { unpackDocument } from '../../common/index.js';
import { MaterializeViewUnavailableError } from './errors.js';
import { USER_MEETINGS_VIEW, type DayReader } from './processor.js';

/**
 * Reads day documents from MongoDB, one `findOne({_id})` per day in parallel: narrowed by `_id` on
 * any server (FerretDB narrows `$in` only in the stack's patched build), and read once per key load.
 */
export class MongoDayReader implements DayReader {
  readonly #db: Db;

  constructor(options: { db: Db }) {
    this.#db = options.db;
  }

  async read(ids: readonly string[]): Promise<Record<string, unknown>[]> {
    const days = this.#db.collection(USER_MEETINGS_VIEW);
    let docs: (Record<string, unknown> | null)[];
    try {
      docs = await Promise.all(ids.map((id) => days.findOne({ _id: id as never })));
    } catch (error) {
      throw new MaterializeViewUnavailableError('Day documents of a meeting list cannot be read back from MongoDB; the record waits until they can.', { cause: error });
    }
    return docs.flatMap((doc) => (doc === null ? [] : [unpackDocument(doc)]));
  }
}
