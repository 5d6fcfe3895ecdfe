import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateTls } from '../../tls/index.js';

describe('sim/graph tls', () => {
  it('tls – concurrent starts share one cached CA, and the leaf covers localhost and 127.0.0.1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-tls-'));
    try {
      const [a, b, c] = await Promise.all([loadOrCreateTls(dir), loadOrCreateTls(dir), loadOrCreateTls(dir)]);
      expect(new Set([a.caCertPem, b.caCertPem, c.caCertPem]).size).toBe(1);
      const leaf = new X509Certificate(a.certPem);
      expect(leaf.checkHost('localhost')).toBe('localhost');
      expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(leaf.verify(new X509Certificate(a.caCertPem).publicKey)).toBe(true);
      const again = await loadOrCreateTls(dir);
      expect(again.certPem).toBe(a.certPem);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
