import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HcError } from '../../../common/errors.js';
import { backoffDelay, classifyFailure, waitsForRecovery, compileRuntimeOptions, defineTopology, validateDocument, fieldName, fromFieldName, collapseUpserts } from '../../../runtime/index.js';
import { bucketUpdates, exceptWritten } from '../../../runtime/flusher.js';

describe('runtime – supervision, documents and options', () => {
  it('supervision – retryable errors, network, server selection and kafkajs retriable errors are transient; the rest permanent', () => {
    expect(classifyFailure(new HcError('HC_ERR_X', 'down', { retryable: true }))).toBe('transient');
    expect(classifyFailure(new HcError('HC_ERR_X', 'bad'))).toBe('permanent');
    expect(classifyFailure(Object.assign(new Error('x'), { name: 'MongoNetworkError' }))).toBe('transient');
    expect(classifyFailure(Object.assign(new Error('x'), { name: 'MongoServerSelectionError' }))).toBe('transient');
    expect(classifyFailure(Object.assign(new Error('x'), { name: 'KafkaJSProtocolError', retriable: true }))).toBe('transient');
    expect(classifyFailure(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }))).toBe('transient');
    expect(classifyFailure(new TypeError('undefined is not a function'))).toBe('permanent');
    expect(classifyFailure(Object.assign(new Error('dup'), { code: 11000 }))).toBe('permanent');
  });

  it('supervision – a retryable failure saying a dependency is unavailable waits for recovery; other failures do not', () => {
    expect(waitsForRecovery(new HcError('HC_ERR_KMS_UNAVAILABLE', 'down', { retryable: true }))).toBe(true);
    expect(waitsForRecovery(new Error('wrapped', { cause: new HcError('HC_ERR_KMS_UNAVAILABLE', 'down', { retryable: true }) }))).toBe(true);
    expect(waitsForRecovery(new HcError('HC_ERR_X', 'down', { retryable: true, details: { waitForRecovery: true } }))).toBe(true);
    expect(waitsForRecovery(new HcError('HC_ERR_KMS_UNAVAILABLE', 'not retryable', { retryable: false }))).toBe(false);
    expect(waitsForRecovery(new HcError('HC_ERR_X', 'flaky', { retryable: true }))).toBe(false);
    expect(waitsForRecovery(Object.assign(new Error('x'), { name: 'MongoNetworkError' }))).toBe(false);
    expect(waitsForRecovery(new TypeError('bug'))).toBe(false);
  });

  it('supervision – back-off grows with attempts up to its ceiling', () => {
    const policy = { initialMs: 100, maxMs: 1_000, factor: 2 };
    expect(backoffDelay(policy, 1, () => 1)).toBe(100);
    expect(backoffDelay(policy, 3, () => 1)).toBe(400);
    expect(backoffDelay(policy, 10, () => 1)).toBe(1_000);
    expect(backoffDelay(policy, 10, () => 0)).toBe(500);
  });

  it('documents – refuses what FerretDB cannot store, at write time', () => {
    expect(() => validateDocument({ a: [1, [2]] })).toThrow(/nested arrays/);
    expect(() => validateDocument({ 'a.b': 1 })).toThrow(/'\.'/);
    expect(() => validateDocument({ $set: 1 })).toThrow(/'\$'/);
    expect(() => validateDocument({ a: Number.NaN })).toThrow(/finite/);
    expect(() => validateDocument({ a: 'x\u0000y' })).toThrow(/NUL/);
    expect(() => validateDocument({ a: [{ b: 1 }], c: Buffer.from('x'), d: null, e: { f: 'g' } })).not.toThrow();
    // The message names where: the path of the first value that cannot be stored.
    expect(() => validateDocument({ ok: 1, a: { b: [1, Number.POSITIVE_INFINITY] } }, 'state of s')).toThrow('state of s.a.b[1] is Infinity; store finite numbers only.');
    expect(() => validateDocument({ a: [{ 'x.y': 1 }] })).toThrow('Field name "x.y" at a[0] contains');
  });

  it('documents – refuses a value exactly when the storage rules say it cannot be stored (property)', () => {
    // The rules as written above, independently of the runtime's walk.
    const storable = (v: unknown, inArray: boolean): boolean => {
      if (v === null || v === undefined || ['boolean', 'bigint'].includes(typeof v)) return true;
      if (typeof v === 'number') return Number.isFinite(v);
      if (typeof v === 'string') return !v.includes('\u0000');
      if (Buffer.isBuffer(v) || v instanceof Uint8Array || v instanceof Date) return true;
      if (Array.isArray(v)) return !inArray && v.every((item) => storable(item, true));
      if (typeof v !== 'object') return false;
      return Object.entries(v).every(([k, inner]) => k !== '' && !k.includes('.') && !k.startsWith('$') && storable(inner, false));
    };
    const leaf = fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 3, unit: fc.constantFrom('a', '.', '$', '\u0000') }), fc.boolean(), fc.constant(null), fc.constant(Buffer.from('b')));
    const key = fc.string({ maxLength: 3, unit: fc.constantFrom('k', '.', '$') });
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(key, tie('value'), { maxKeys: 3 })),
    }));
    fc.assert(fc.property(value, (v) => {
      let threw: unknown = null;
      try {
        validateDocument(v);
      } catch (error) {
        threw = error;
      }
      expect(threw === null).toBe(storable(v, false));
      if (threw !== null) expect((threw as { code?: string }).code).toBe('HC_ERR_RUNTIME_INVALID_DOCUMENT');
    }), { numRuns: 2_000 });
  });

  it('documents – field names escape dots, dollars and percent reversibly', () => {
    for (const raw of ['tenant/mailbox', 'a.b', '$x', '100%', 'a.%2E$']) {
      const field = fieldName(raw);
      expect(field).not.toMatch(/[.$]/);
      expect(fromFieldName(field)).toBe(raw);
    }
  });

  it('views – one op per _id per batch, the highest version wins', () => {
    const ops = collapseUpserts([
      { collection: 'c', id: 'a', v: 2, doc: { x: 2 } },
      { collection: 'c', id: 'a', v: 5, doc: { x: 5 } },
      { collection: 'c', id: 'a', v: 3, doc: { x: 3 } },
      { collection: 'd', id: 'a', v: 1, doc: { x: 1 } },
    ]);
    expect(ops).toEqual([
      { collection: 'c', id: 'a', v: 5, doc: { x: 5 } },
      { collection: 'd', id: 'a', v: 1, doc: { x: 1 } },
    ]);
  });

  it('timers – the index is lowered before the state lands and set exactly after', () => {
    const changes = [
      { collection: 't', bucket: 'b0', field: 'k1', before: null, after: 50 },
      { collection: 't', bucket: 'b0', field: 'k2', before: 10, after: 40 },
      { collection: 't', bucket: 'b0', field: 'k3', before: 30, after: null },
      { collection: 't', bucket: 'b0', field: 'k1', before: 50, after: 20 },
    ];
    expect(bucketUpdates(changes, 'lower')).toEqual([{ collection: 't', id: 'b0', set: { 't.k1': 20 }, unset: [] }]);
    expect(bucketUpdates(changes, 'exact')).toEqual([{ collection: 't', id: 'b0', set: { 't.k1': 20, 't.k2': 40 }, unset: ['t.k3'] }]);
    // Phase 3 skips what phase 1 of the cycle already wrote with its final value.
    expect(exceptWritten(bucketUpdates(changes, 'exact'), bucketUpdates(changes, 'lower'))).toEqual([{ collection: 't', id: 'b0', set: { 't.k2': 40 }, unset: ['t.k3'] }]);
    const first = [{ collection: 't', bucket: 'b1', field: 'k9', before: null, after: 70 }];
    expect(exceptWritten(bucketUpdates(first, 'exact'), bucketUpdates(first, 'lower'))).toEqual([]);
  });

  it('options – defaults apply and a bad value fails naming the key', () => {
    const options = compileRuntimeOptions({});
    expect(options.maxConcurrentKeys).toBe(256);
    expect(options.retry.maxAttempts).toBe(8);
    expect(options.retry.unavailableMaxWaitMs).toBe(3_600_000);
    expect(options.batchHoldMs).toBe(1_000);
    expect(options.maxPendingPerPartition).toBe(10_000);
    expect(() => compileRuntimeOptions({ batchHoldMs: 0 })).toThrow(/runtime\.batchHoldMs/);
    expect(() => compileRuntimeOptions({ maxConcurrentKeys: 0 })).toThrow(/runtime\.maxConcurrentKeys/);
    expect(() => compileRuntimeOptions({ retry: { maxMs: -1 } })).toThrow(/runtime\.retry\.maxMs/);
  });

  it('topology – refuses a topology without stages or with duplicate stage names', () => {
    const stage = { name: 's', process: () => undefined };
    expect(() => defineTopology({ name: 'x', inputs: [{ topic: 'a' }], stages: [] })).toThrow(/no processor/);
    expect(() => defineTopology({ name: 'x', inputs: [{ topic: 'a' }], stages: [stage, stage] })).toThrow(/two stages/);
    expect(() => defineTopology({ name: 'x.y', inputs: [{ topic: 'a' }], stages: [stage] })).toThrow(/letters/);
  });
});
