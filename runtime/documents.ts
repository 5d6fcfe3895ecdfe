import { InvalidDocumentError } from './errors.js';

/**
 * Checks a document against the data rules MongoDB and FerretDB 1.x share: no nested arrays, no
 * field name with '.' or a leading '$', no NaN or ±Infinity, no NUL in strings. Processors find out
 * at `ctx.views.upsert` / `ctx.state.set` time (a permanent failure of that record), never at
 * flush time where a bad document would block the records of other keys.
 */
export function validateDocument(value: unknown, path = '', insideArray = false): void {
  // Every state and view passes here: walk it without building paths, and again with them (for
  // the message) only when something is wrong.
  if (!isStorable(value, insideArray)) explain(value, path, insideArray);
}

function isStorable(value: unknown, insideArray: boolean): boolean {
  if (value === null || value === undefined || typeof value === 'boolean' || typeof value === 'bigint') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value === 'string') return !value.includes('\u0000');
  if (typeof value !== 'object') return false;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array || value instanceof Date) return true;
  if (Array.isArray(value)) {
    if (insideArray) return false;
    for (const item of value) if (!isStorable(item, true)) return false;
    return true;
  }
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    if (key.includes('.') || key.startsWith('$') || key.length === 0) return false;
    if (!isStorable((value as Record<string, unknown>)[key], false)) return false;
  }
  return true;
}

/** Throws the InvalidDocumentError that names what cannot be stored, and where. */
function explain(value: unknown, path: string, insideArray: boolean): void {
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
    value.forEach((item, index) => explain(item, `${path}[${index}]`, true));
    return;
  }
  if (typeof value === 'object') {
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      if (key.includes('.') || key.startsWith('$') || key.length === 0) {
        throw new InvalidDocumentError(`Field name "${key}" at ${path || 'top level'} contains '.' or starts with '$'.`);
      }
      explain(inner, path === '' ? key : `${path}.${key}`, false);
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
