import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CiphertextMalformedError, DecryptFailedError, KmsInputError } from './errors.js';

/**
 * The self-describing ciphertext format of kms/ (documented in docs/security.md):
 *
 *   offset   size  field
 *   0        1     magic 0xC7
 *   1        1     format version (1)
 *   2        1     kind: 1 field, 2 sealed record, 3 wrapped data key, 4 wrapped tenant key
 *   3        1     key id length L (1..64)
 *   4        L     key id (ASCII letters, digits, . _ : -)
 *   4+L      4     key version, unsigned big-endian (>= 1)
 *   8+L      12    nonce (96 bits, random per encryption)
 *   20+L     n     AES-256-GCM ciphertext (same length as the plaintext)
 *   20+L+n   16    GCM tag (128 bits)
 *
 * The GCM associated data is the header (bytes 0 .. 20+L) followed by the caller's context
 * (tenant, record key, field...; see `contextAd`), so every header bit and the place a ciphertext
 * belongs to are authenticated: a flipped bit, or a ciphertext moved to another field, record or
 * tenant, fails to decrypt.
 */
export const FORMAT_MAGIC = 0xc7;
export const FORMAT_VERSION = 1;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const KEY_BYTES = 32;
const MAX_KEY_ID = 64;
const KEY_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

export const CipherKind = Object.freeze({ field: 1, sealed: 2, dataKey: 3, tenantKey: 4, sealedWithMetadata: 5 } as const);
export type CipherKind = (typeof CipherKind)[keyof typeof CipherKind];
const KIND_NAMES: Readonly<Record<number, string>> = {
  1: 'field',
  2: 'sealed record',
  3: 'wrapped data key',
  4: 'wrapped tenant key',
  5: 'sealed record bound to its metadata',
};

export interface Envelope {
  readonly kind: CipherKind;
  readonly keyId: string;
  readonly keyVersion: number;
  readonly nonce: Buffer;
  /** Bytes 0 .. 20+L, authenticated as the first part of the associated data. */
  readonly header: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

export function isValidKeyId(keyId: string): boolean {
  return KEY_ID_PATTERN.test(keyId);
}

function buildHeader(kind: CipherKind, keyId: string, keyVersion: number, nonce: Buffer): Buffer {
  if (!isValidKeyId(keyId)) throw new KmsInputError('A key id must be 1-64 ASCII letters, digits or . _ : -.');
  if (!Number.isInteger(keyVersion) || keyVersion < 1 || keyVersion > 0xffffffff) {
    throw new KmsInputError('A key version must be an integer from 1 to 2^32-1.');
  }
  const header = Buffer.alloc(20 + keyId.length);
  header[0] = FORMAT_MAGIC;
  header[1] = FORMAT_VERSION;
  header[2] = kind;
  header[3] = keyId.length;
  header.write(keyId, 4, 'ascii');
  header.writeUInt32BE(keyVersion, 4 + keyId.length);
  nonce.copy(header, 8 + keyId.length);
  return header;
}

/**
 * Parses the envelope without decrypting. Throws `CiphertextMalformedError` (HC_ERR_KMS_CIPHERTEXT_MALFORMED)
 * for anything that is not a complete ciphertext of this format.
 */
export function parseEnvelope(bytes: Uint8Array, expectedKind?: CipherKind): Envelope {
  if (!(bytes instanceof Uint8Array)) throw new CiphertextMalformedError('A ciphertext must be bytes.');
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4 + 1 + 4 + NONCE_BYTES + TAG_BYTES) {
    throw new CiphertextMalformedError('The ciphertext is truncated (shorter than the smallest valid ciphertext).');
  }
  if (buf[0] !== FORMAT_MAGIC) throw new CiphertextMalformedError('The bytes are not a hybrid-calendar ciphertext (bad magic byte).');
  if (buf[1] !== FORMAT_VERSION) {
    throw new CiphertextMalformedError(`Unsupported ciphertext format version ${buf[1]}; upgrade the service to read it.`);
  }
  const kind = buf[2]!;
  if (KIND_NAMES[kind] === undefined) throw new CiphertextMalformedError(`Unknown ciphertext kind ${kind}.`);
  if (expectedKind !== undefined && kind !== expectedKind) {
    throw new CiphertextMalformedError(`Expected a ${KIND_NAMES[expectedKind]} ciphertext, found a ${KIND_NAMES[kind]}.`);
  }
  const keyIdLength = buf[3]!;
  if (keyIdLength < 1 || keyIdLength > MAX_KEY_ID) throw new CiphertextMalformedError('The ciphertext has an invalid key id length.');
  const headerLength = 20 + keyIdLength;
  if (buf.length < headerLength + TAG_BYTES) throw new CiphertextMalformedError('The ciphertext is truncated.');
  const keyId = buf.toString('latin1', 4, 4 + keyIdLength);
  if (!isValidKeyId(keyId)) throw new CiphertextMalformedError('The ciphertext has an invalid key id.');
  const keyVersion = buf.readUInt32BE(4 + keyIdLength);
  if (keyVersion < 1) throw new CiphertextMalformedError('The ciphertext has an invalid key version 0.');
  return {
    kind: kind as CipherKind,
    keyId,
    keyVersion,
    nonce: buf.subarray(8 + keyIdLength, headerLength),
    header: buf.subarray(0, headerLength),
    ciphertext: buf.subarray(headerLength, buf.length - TAG_BYTES),
    tag: buf.subarray(buf.length - TAG_BYTES),
  };
}

/**
 * Canonical, unambiguous associated data: a purpose label then each part as a 4-byte big-endian
 * length and its UTF-8 bytes. ('a','bc') and ('ab','c') never collide.
 */
export function contextAd(purpose: string, parts: readonly string[]): Buffer {
  return contextAdAfter(Buffer.alloc(0), purpose, parts);
}

/**
 * `prefix` followed by `contextAd(purpose, parts)`, built in one allocation (the GCM associated
 * data of an envelope is its header followed by the context; a field is opened on every read).
 */
export function contextAdAfter(prefix: Uint8Array, purpose: string, parts: readonly string[]): Buffer {
  const label = `hycal/${purpose}/v1`;
  let size = prefix.length + 4 + Buffer.byteLength(label, 'utf8');
  for (const part of parts) size += 4 + Buffer.byteLength(part, 'utf8');
  const out = Buffer.allocUnsafe(size);
  out.set(prefix, 0);
  let at = prefix.length;
  for (const part of [label, ...parts]) {
    const length = out.write(part, at + 4, 'utf8');
    out.writeUInt32BE(length, at);
    at += 4 + length;
  }
  return out;
}

/**
 * Builds `header ‖ contextAd('field', [tenantId, recordKey, entityId, field])` for many fields of one
 * tenant (a meeting list opens ~200): the label, tenant and record key are encoded once per record
 * key and copied, only the entity id and the field name are written per field. Byte for byte what
 * `contextAdAfter(header, 'field', parts)` gives.
 */
export class FieldAdBuilder {
  readonly #tenantId: string;
  readonly #prefixes = new Map<string, Buffer>();

  constructor(tenantId: string) {
    this.#tenantId = tenantId;
  }

  build(header: Uint8Array, recordKey: string, entityId: string, field: string): Buffer {
    let prefix = this.#prefixes.get(recordKey);
    if (prefix === undefined) {
      prefix = contextAd('field', [this.#tenantId, recordKey]);
      this.#prefixes.set(recordKey, prefix);
    }
    const out = Buffer.allocUnsafe(header.length + prefix.length + 8 + Buffer.byteLength(entityId, 'utf8') + Buffer.byteLength(field, 'utf8'));
    out.set(header, 0);
    out.set(prefix, header.length);
    let at = header.length + prefix.length;
    for (const part of [entityId, field]) {
      const length = out.write(part, at + 4, 'utf8');
      out.writeUInt32BE(length, at);
      at += 4 + length;
    }
    return out;
  }
}

export interface SealParams {
  readonly kind: CipherKind;
  readonly key: Buffer;
  readonly keyId: string;
  readonly keyVersion: number;
  readonly context: Buffer;
  /** Only for tests of the format; production always draws a fresh random nonce. */
  readonly nonce?: Buffer;
}

/** AES-256-GCM encryption into the envelope format with a fresh random 96-bit nonce. */
export function encryptEnvelope(params: SealParams, plaintext: Uint8Array): Buffer {
  if (params.key.length !== KEY_BYTES) throw new KmsInputError('An AES-256 key must be 32 bytes.');
  if (!(plaintext instanceof Uint8Array)) throw new KmsInputError('Plaintext must be bytes.');
  const nonce = params.nonce ?? randomBytes(NONCE_BYTES);
  if (nonce.length !== NONCE_BYTES) throw new KmsInputError('A nonce must be 12 bytes.');
  const header = buildHeader(params.kind, params.keyId, params.keyVersion, nonce);
  const cipher = createCipheriv('aes-256-gcm', params.key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.concat([header, params.context]));
  const body = cipher.update(plaintext);
  const final = cipher.final();
  return Buffer.concat([header, body, final, cipher.getAuthTag()]);
}

/**
 * Decrypts a parsed envelope. The tag check is done by OpenSSL in constant time; any failure is a
 * `DecryptFailedError` (HC_ERR_KMS_DECRYPT_FAILED) and no partial plaintext is ever returned.
 */
export function decryptEnvelope(envelope: Envelope, key: Buffer, context: Buffer): Buffer {
  return decryptEnvelopeWithAd(envelope, key, Buffer.concat([envelope.header, context]));
}

/**
 * `decryptEnvelope` with the whole associated data given: the envelope's header followed by the
 * caller's context (see `contextAdAfter`), so a hot path builds it in one allocation. Callers
 * must pass exactly `header ‖ context`; anything else simply fails to authenticate.
 */
export function decryptEnvelopeWithAd(envelope: Envelope, key: Buffer, associatedData: Buffer): Buffer {
  if (key.length !== KEY_BYTES) throw new KmsInputError('An AES-256 key must be 32 bytes.');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, envelope.nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData);
    decipher.setAuthTag(envelope.tag);
    const body = decipher.update(envelope.ciphertext);
    const final = decipher.final();
    return final.length === 0 ? body : Buffer.concat([body, final]);
  } catch (error) {
    throw new DecryptFailedError(
      'The ciphertext does not authenticate: it was tampered with, or belongs to another tenant, record, field or key. ' +
        'The record goes to the dead-letter topic; do not retry.',
      { cause: error, details: { keyId: envelope.keyId, keyVersion: envelope.keyVersion } },
    );
  }
}
