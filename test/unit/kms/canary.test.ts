import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createLogger } from '../../../common/logger.js';
import { Canaries, LogCapture } from '../../support/canary.js';

describe('canary scanner', () => {
  it('canary – finds a canary embedded anywhere, in UTF-8, UTF-16, hex, base64 and base64url at any alignment', () => {
    const canaries = new Canaries();
    const value = canaries.make('subject');
    const address = canaries.make('address');
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.constantFrom(value, address), (before, after, canary) => {
        const text = `${before}${canary}${after}`;
        const utf8 = Buffer.from(text, 'utf8');
        const be = Buffer.from(text, 'utf16le');
        be.swap16();
        const encodings: Buffer[] = [
          utf8,
          Buffer.from(text, 'utf16le'),
          be,
          Buffer.from(utf8.toString('hex')),
          Buffer.from(utf8.toString('hex').toUpperCase()),
          Buffer.from(utf8.toString('base64')),
          Buffer.from(utf8.toString('base64url')),
          Buffer.from(encodeURIComponent(text)),
        ];
        for (const bytes of encodings) expect(canaries.scan(bytes, 'x').length).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });

  it('canary – finds the unique local part of an address even when the domain is rewritten', () => {
    const canaries = new Canaries();
    const address = canaries.make('address');
    expect(canaries.scan(Buffer.from(`${address.split('@')[0]!}@other.example`), 'x').length).toBeGreaterThan(0);
  });

  it('canary – random bytes and unrelated text give no hit', () => {
    const canaries = new Canaries();
    canaries.make('subject');
    canaries.make('address');
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
      expect(canaries.scan(Buffer.from(bytes), 'x')).toEqual([]);
    }));
  });

  it('canary – log capture sees what the logger writes, and redaction keeps named fields out', () => {
    const canaries = new Canaries();
    const capture = new LogCapture();
    const logger = createLogger({ name: 't', destination: capture });
    const subject = canaries.make('subject');
    logger.info({ subject, meeting: { location: canaries.make('location') } }, 'redacted fields');
    expect(canaries.scanLogs(capture)).toEqual([]);
    logger.info(`leaky message ${subject}`);
    expect(canaries.scanLogs(capture).length).toBeGreaterThan(0);
  });
});
