import { Binary, type Collection, type Document } from 'mongodb';
import { HcError } from '../common/index.js';
import { CipherKind, parseEnvelope } from './format.js';
import type { FieldContext, Keyring } from './keyring.js';

/** Where the encrypted fields of a stored document are and how to rebuild their associated data. */
export interface DocumentLayout {
  readonly fields: readonly string[];
  /** The tenant a document belongs to (null: not one of ours, skipped). */
  tenantOf(doc: Document): string | null;
  context(doc: Document, field: string): FieldContext;
}

export interface ReencryptResult {
  readonly documents: number;
  readonly fieldsReencrypted: number;
  readonly alreadyCurrent: number;
  readonly failed: number;
  readonly failures: { readonly id: string; readonly field: string; readonly code: string }[];
}

function bytesOf(value: unknown): Buffer | null {
  if (value instanceof Binary) return Buffer.from(value.buffer);
  if (Buffer.isBuffer(value)) return value;
  return null;
}

/**
 * `hycal kms reencrypt`: moves every encrypted field of a tenant's documents in `collection` to the
 * tenant's current data key version (decrypt with the old version in memory, encrypt with the
 * new one). Each document is updated only if the field still holds the bytes read (no lost
 * update); running it again is a no-op. Fields that fail to decrypt are counted, not touched.
 */
export async function reencryptCollection(input: {
  keyring: Keyring;
  collection: Collection;
  tenantId: string;
  /** Where the document's encrypted fields are (the composition root knows the views). */
  layout: DocumentLayout;
  onProgress?: (done: number) => void;
}): Promise<ReencryptResult> {
  const { layout } = input;
  const current = await input.keyring.currentRef(input.tenantId);
  let documents = 0;
  let fieldsReencrypted = 0;
  let alreadyCurrent = 0;
  const failures: { id: string; field: string; code: string }[] = [];
  for await (const doc of input.collection.find({ tenantId: input.tenantId })) {
    if (layout.tenantOf(doc) !== input.tenantId) continue;
    documents += 1;
    const stale = layout.fields.flatMap((field) => {
      const bytes = bytesOf(doc[field]);
      if (bytes === null) return [];
      try {
        const envelope = parseEnvelope(bytes, CipherKind.field);
        if (envelope.keyId === current.keyId && envelope.keyVersion === current.version) {
          alreadyCurrent += 1;
          return [];
        }
      } catch (error) {
        failures.push({ id: String(doc['_id']), field, code: error instanceof HcError ? error.code : 'unknown' });
        return [];
      }
      return [{ field, bytes }];
    });
    if (stale.length === 0) continue;
    const lease = await input.keyring.lease(input.tenantId, stale.length);
    const set: Record<string, unknown> = {};
    const guard: Record<string, unknown> = { _id: doc['_id'] };
    for (const { field, bytes } of stale) {
      const ctx = layout.context(doc, field);
      try {
        const plaintext = await input.keyring.decryptField(ctx, bytes);
        set[field] = new Binary(lease.encryptField(ctx, plaintext));
        plaintext.fill(0);
        guard[field] = new Binary(bytes);
      } catch (error) {
        failures.push({ id: String(doc['_id']), field, code: error instanceof HcError ? error.code : 'unknown' });
      }
    }
    const changed = Object.keys(set).length;
    if (changed === 0) continue;
    if ('keyRef' in doc) set['keyRef'] = { keyId: lease.ref.keyId, version: lease.ref.version };
    const result = await input.collection.updateOne(guard, { $set: set });
    if (result.modifiedCount === 1) fieldsReencrypted += changed;
    input.onProgress?.(documents);
  }
  return { documents, fieldsReencrypted, alreadyCurrent, failed: failures.length, failures };
}
