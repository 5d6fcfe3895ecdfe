import { Binary, BSON } from 'mongodb';
import { HcError } from './errors.js';

/**
 * Packed documents: some fields of a stored document kept together as one BSON binary field,
 * `PACKED_FIELD`. FerretDB 1.x converts, validates and rewrites a document field by field, so a
 * document of a few hundred fields (a room's state with its bookings and timers, a day of
 * meetings, a device's bookings) costs it 13–23 ms to write and ~18 ms to read; the same content
 * packed costs ~3.3 ms either way (docs/decisions/0003). Real MongoDB is fast either way.
 *
 * The packed bytes are plain BSON (strings as UTF-8, binary data as it is): a packed document
 * holds nothing a field-by-field one would hide, and a canary scan of its bytes finds the same.
 * The open fields (`_id`, the version, whatever a query or an operator needs) stay outside.
 */
export const PACKED_FIELD = 'b';

/** A stored document's packed field is not binary data. */
export class PackedDocumentError extends HcError {
  constructor(message: string) {
    super('HC_ERR_PACKED_DOCUMENT', message);
  }
}

/** `doc` with the listed fields moved into `PACKED_FIELD` (the others as they are). */
export function packFields(doc: Readonly<Record<string, unknown>>, fields: readonly string[]): Record<string, unknown> {
  const open: Record<string, unknown> = {};
  const inner: Record<string, unknown> = {};
  for (const field in doc) (fields.includes(field) ? inner : open)[field] = doc[field];
  open[PACKED_FIELD] = new Binary(BSON.serialize(inner));
  return open;
}

/**
 * A stored document with its packed fields in place again; a document without `PACKED_FIELD`
 * (written before its fields were packed) is returned as it is. Values come back as the MongoDB
 * driver returns them (binary data as `Binary`).
 */
export function unpackDocument<T extends object>(stored: T): T {
  const packed = (stored as Record<string, unknown>)[PACKED_FIELD];
  if (packed === undefined) return stored;
  const bytes = packed instanceof Binary ? packed.buffer : packed instanceof Uint8Array ? packed : null;
  if (bytes === null) throw new PackedDocumentError(`The document's ${PACKED_FIELD} field is not binary data, so its packed fields cannot be read; it was not written by hybrid-calendar.`);
  const { [PACKED_FIELD]: _packed, ...open } = stored as Record<string, unknown>;
  return { ...open, ...BSON.deserialize(bytes) } as T;
}
