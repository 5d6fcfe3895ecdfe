import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CipherKind,
  CiphertextMalformedError,
  DecryptFailedError,
  contextAd,
  contextAdAfter,
  FieldAdBuilder,
  decryptEnvelope,
  decryptEnvelopeWithAd,
  encryptEnvelope,
  parseEnvelope,
  FORMAT_MAGIC,
  FORMAT_VERSION,
} from '../../../kms/index.js';
import { HcError } from '../../../common/errors.js';

const key = randomBytes(32);
const context = contextAd('field', ['tenant-a', 'tenant-a/mbx-1', 'evt-1', 'subject']);
const keyIdArb = fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/);

function open(bytes: Buffer, ctx = context, k = key): Buffer {
  return decryptEnvelope(parseEnvelope(bytes, CipherKind.field), k, ctx);
}

function seal(plaintext: Uint8Array, keyId = 'dk-0011223344556677', version = 1): Buffer {
  return encryptEnvelope({ kind: CipherKind.field, key, keyId, keyVersion: version, context }, plaintext);
}

describe('kms format', () => {
  it('kms format – round-trips any plaintext under any key id and version', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), keyIdArb, fc.integer({ min: 1, max: 0xffffffff }), (plaintext, keyId, version) => {
        const bytes = seal(plaintext, keyId, version);
        const envelope = parseEnvelope(bytes);
        expect(envelope.keyId).toBe(keyId);
        expect(envelope.keyVersion).toBe(version);
        expect(envelope.kind).toBe(CipherKind.field);
        expect(envelope.nonce).toHaveLength(12);
        expect(envelope.tag).toHaveLength(16);
        expect(bytes).toHaveLength(20 + keyId.length + plaintext.length + 16);
        expect(Buffer.compare(open(bytes), Buffer.from(plaintext))).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('kms format – the header is self-describing: magic, format version, kind, key id, version, nonce', () => {
    const bytes = seal(Buffer.from('hello'), 'dk-abc', 7);
    expect(bytes[0]).toBe(FORMAT_MAGIC);
    expect(bytes[1]).toBe(FORMAT_VERSION);
    expect(bytes[2]).toBe(CipherKind.field);
    expect(bytes[3]).toBe(6);
    expect(bytes.toString('ascii', 4, 10)).toBe('dk-abc');
    expect(bytes.readUInt32BE(10)).toBe(7);
  });

  it('kms format – any single-bit flip fails with a typed error, never garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 256 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (plaintext, at, bit) => {
        const bytes = seal(plaintext);
        const index = at % bytes.length;
        const tampered = Buffer.from(bytes);
        tampered[index] = tampered[index]! ^ (1 << bit);
        let error: unknown;
        try {
          open(tampered);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(HcError);
        expect([CiphertextMalformedError, DecryptFailedError].some((type) => error instanceof type)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('kms format – any truncation or extension fails with a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 }), (plaintext, cut, extra) => {
        const bytes = seal(plaintext);
        const truncated = bytes.subarray(0, cut % bytes.length);
        expect(() => open(truncated)).toThrow(HcError);
        expect(() => open(Buffer.concat([bytes, extra]))).toThrow(HcError);
      }),
      { numRuns: 300 },
    );
  });

  it('kms format – arbitrary bytes are rejected with a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(() => open(Buffer.from(bytes))).toThrow(HcError);
      }),
      { numRuns: 500 },
    );
  });

  it('kms format – a ciphertext does not open under other associated data or another key', () => {
    const bytes = seal(Buffer.from('Board meeting'));
    const otherField = contextAd('field', ['tenant-a', 'tenant-a/mbx-1', 'evt-1', 'body']);
    const otherRecord = contextAd('field', ['tenant-a', 'tenant-a/mbx-2', 'evt-1', 'subject']);
    const otherTenant = contextAd('field', ['tenant-b', 'tenant-a/mbx-1', 'evt-1', 'subject']);
    for (const ctx of [otherField, otherRecord, otherTenant]) expect(() => open(bytes, ctx)).toThrow(DecryptFailedError);
    expect(() => open(bytes, context, randomBytes(32))).toThrow(DecryptFailedError);
  });

  it('kms format – associated data is unambiguous: shifting a boundary between parts changes it', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (a, b, c, d) => {
        fc.pre(a !== c || b !== d);
        expect(contextAd('field', [a, b]).equals(contextAd('field', [c, d]))).toBe(false);
      }),
    );
  });

  it('kms format – the one-allocation associated data is byte for byte the documented layout (label, then each part as a 4-byte length and UTF-8)', () => {
    // The layout written out the long way, as docs/security.md describes it.
    const reference = (purpose: string, parts: readonly string[]): Buffer =>
      Buffer.concat([`hycal/${purpose}/v1`, ...parts].flatMap((part) => {
        const bytes = Buffer.from(part, 'utf8');
        const length = Buffer.alloc(4);
        length.writeUInt32BE(bytes.length, 0);
        return [length, bytes];
      }));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 90 }), fc.constantFrom('field', 'seal', 'seal-meta'), fc.array(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), { maxLength: 6 }), (prefix, purpose, parts) => {
        expect(contextAd(purpose, parts).equals(reference(purpose, parts))).toBe(true);
        expect(contextAdAfter(prefix, purpose, parts).equals(Buffer.concat([prefix, reference(purpose, parts)]))).toBe(true);
      }),
    );
  });

  it("kms format – a meeting list's field associated data (FieldAdBuilder, prefix per record key reused) is byte for byte header ‖ contextAd('field', parts)", () => {
    const part = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 90 }), part, fc.array(fc.tuple(fc.constantFrom('rk-1', 'rk-2', 'tenant/é-mbx'), part, part), { minLength: 1, maxLength: 8 }), (header, tenant, fields) => {
        const builder = new FieldAdBuilder(tenant);
        for (const [recordKey, entityId, field] of fields) {
          expect(builder.build(header, recordKey, entityId, field).equals(contextAdAfter(header, 'field', [tenant, recordKey, entityId, field]))).toBe(true);
        }
      }),
    );
  });

  it('kms format – a field opens with header ‖ context as one associated data, and with nothing else', () => {
    const bytes = seal(Buffer.from('Board meeting'));
    const envelope = parseEnvelope(bytes, CipherKind.field);
    const parts = ['tenant-a', 'tenant-a/mbx-1', 'evt-1', 'subject'];
    expect(decryptEnvelopeWithAd(envelope, key, contextAdAfter(envelope.header, 'field', parts)).toString()).toBe('Board meeting');
    expect(() => decryptEnvelopeWithAd(envelope, key, contextAd('field', parts))).toThrow(DecryptFailedError);
    expect(() => decryptEnvelopeWithAd(envelope, key, contextAdAfter(envelope.header, 'field', ['tenant-a', 'tenant-a/mbx-1', 'evt-1', 'body']))).toThrow(DecryptFailedError);
  });

  it('kms format – a sealed-record ciphertext is refused where a field ciphertext is expected', () => {
    const sealed = encryptEnvelope({ kind: CipherKind.sealed, key, keyId: 'dk-1', keyVersion: 1, context }, Buffer.from('x'));
    expect(() => parseEnvelope(sealed, CipherKind.field)).toThrow(CiphertextMalformedError);
  });

  it('kms format – nonces of 20k encryptions under one key are all distinct', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i += 1) seen.add(parseEnvelope(seal(Buffer.alloc(0))).nonce.toString('hex'));
    expect(seen.size).toBe(20_000);
  });
});
