import { InvalidDocumentError } from './errors.js';

/**
 * Checks a document against the data rules MongoDB and FerretDB 1.x share: no nested arrays, no
 * field name with '.' or a leading '$', no NaN or ±Infinity, no NUL in strings. Processors find out
 * at `ctx.views.upsert` / `ctx.state.set` time (a permanent failure of that record), never at
 * flush time where a bad document would block the records of other keys.
 */
export function validateDocument(value: unknown, path = '', insideArray = false): void {
  if (value === null || value === undefined || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidDocumentError(`${path || 'value'} is ${value}; store finite numbers only.`);
    return;
  }
  if (typeof value === 'string') {
    if (value.includes('\u0000')) throw new InvalidDocumentError(`${path || 'value'} contains a NUL character.`);
    return;
  }
  if (typeof value === 'bigint') return;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array || value instanceof Date) return;
  if (Array.isArray(value)) {
    if (insideArray) throw new InvalidDocumentError(`${path} is an array inside an array (FerretDB refuses nested arrays).`);
    value.forEach((item, index) => validateDocument(item, `${path}[${index}]`, true));
    return;
  }
  if (typeof value === 'object') {
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      if (key.includes('.') || key.startsWith('$') || key.length === 0) {
        throw new InvalidDocumentError(`Field name "${key}" at ${path || 'top level'} contains '.' or starts with '$'.`);
      }
      validateDocument(inner, path === '' ? key : `${path}.${key}`, false);
    }
    return;
  }
  throw new InvalidDocumentError(`${path || 'value'} has type ${typeof value}, which cannot be stored.`);
}

/** Encodes an arbitrary string as a field name ('.', '$' and '%' escaped). */
export function fieldName(raw: string): string {
  return raw.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/\$/g, '%24');
}

export function fromFieldName(field: string): string {
  return field.replace(/%2E/g, '.').replace(/%24/g, '$').replace(/%25/g, '%');
}
