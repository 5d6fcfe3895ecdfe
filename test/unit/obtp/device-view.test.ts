import { Binary } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { sameValue } from '../../../processors/obtp/index.js';

const booking = (title: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  bookingId: 't/room-1/m1', mailboxId: 'room-1', start: 1, end: 2, isPrivate: false, label: null, providerKind: 'WEBEX',
  keyRef: { keyId: 'dk-1', version: 1 }, title, joinDetails: null, joinAt: 0, joinShown: false, ...extra,
});

describe('obtp device view – change detection', () => {
  it('sees an unchanged booking list as unchanged, also when the state came back from MongoDB with its bytes as BSON Binary', () => {
    const bytes = Buffer.from([1, 2, 3, 250]);
    expect(sameValue([booking(bytes)], [booking(Buffer.from(bytes))])).toBe(true);
    expect(sameValue([booking(bytes)], [booking(new Binary(Buffer.from(bytes)))])).toBe(true);
    expect(sameValue([booking(bytes)], [{ ...booking(bytes), keyRef: { version: 1, keyId: 'dk-1' } }])).toBe(true);
  });

  it('sees a change of any field, of the bytes, of the order or of the count as a change', () => {
    const bytes = Buffer.from([1, 2, 3]);
    expect(sameValue([booking(bytes)], [booking(Buffer.from([1, 2, 4]))])).toBe(false);
    expect(sameValue([booking(bytes)], [booking(null)])).toBe(false);
    expect(sameValue([booking(bytes)], [booking(bytes, { joinShown: true })])).toBe(false);
    expect(sameValue([booking(bytes)], [booking(bytes, { keyRef: { keyId: 'dk-1', version: 2 } })])).toBe(false);
    expect(sameValue([booking(bytes, { start: 0 }), booking(bytes)], [booking(bytes), booking(bytes, { start: 0 })])).toBe(false);
    expect(sameValue([booking(bytes)], [])).toBe(false);
    expect(sameValue([booking(bytes)], undefined)).toBe(false);
    expect(sameValue([], undefined)).toBe(false);
  });
});
