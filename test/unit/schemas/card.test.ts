import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CardFormatError, cardPlaintext, parseCard } from '../../../schemas/index.js';

describe('meeting card', () => {
  it('card – opens to exactly the subject, location, organizer and join details it was made of (any unicode, nulls)', () => {
    const text = fc.option(fc.string({ unit: 'binary' }), { nil: null });
    fc.assert(fc.property(text, text, fc.option(fc.record({ name: text, address: fc.string() }), { nil: null }), fc.option(fc.record({ provider: fc.constantFrom('WEBEX', 'MEET'), url: text, sipUri: text, meetingNumber: text, foundIn: fc.constantFrom('location', 'body') }), { nil: null }),
      (subject, location, organizer, joinDetails) => {
        const card = { subject, location, organizer, joinDetails } as Parameters<typeof cardPlaintext>[0];
        expect(parseCard(cardPlaintext(card).toString('utf8'))).toEqual(card);
      }), { numRuns: 300 });
  });

  it('card – a plaintext that is not a card is refused with HC_ERR_CARD_FORMAT', () => {
    for (const bad of ['not json', '{"subject":"x"}', '["a","b","c"]', '[1,"b",null,null]', '["a",["b"],null,null]']) {
      expect(() => parseCard(bad)).toThrow(CardFormatError);
      try {
        parseCard(bad);
      } catch (error) {
        expect((error as CardFormatError).code).toBe('HC_ERR_CARD_FORMAT');
      }
    }
  });
});
