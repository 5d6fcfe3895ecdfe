import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { SimTlsError } from '../errors.js';

export interface SimTls {
  readonly caCertPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** Directory holding ca.pem, cert.pem and key.pem (point NODE_EXTRA_CA_CERTS at ca.pem). */
  readonly dir: string;
  readonly caCertPath: string;
}

export const DEFAULT_TLS_DIR = join(homedir(), '.cache', 'hybrid-calendar', 'sim-tls');

const DAY = 86_400_000;

/**
 * A private CA and a `localhost` / 127.0.0.1 leaf certificate signed by it, generated once and cached
 * (regenerated when missing or within 30 days of expiry).
 */
export async function loadOrCreateTls(dir: string = DEFAULT_TLS_DIR): Promise<SimTls> {
  const caCertPath = join(dir, 'ca.pem');
  try {
    const [caCertPem, certPem, keyPem] = await Promise.all([readFile(caCertPath, 'utf8'), readFile(join(dir, 'cert.pem'), 'utf8'), readFile(join(dir, 'key.pem'), 'utf8')]);
    const leaf = new X509Certificate(certPem);
    if (Date.parse(leaf.validTo) - Date.now() > 30 * DAY && leaf.verify(new X509Certificate(caCertPem).publicKey)) {
      return { caCertPem, certPem, keyPem, dir, caCertPath };
    }
  } catch {
    // not cached yet
  }
  const now = new Date();
  const ca = await generate([{ name: 'commonName', value: 'hybrid-calendar simulator CA' }], {
    keySize: 2048, algorithm: 'sha256', notBeforeDate: new Date(now.getTime() - DAY), notAfterDate: new Date(now.getTime() + 825 * DAY),
    extensions: [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }],
  });
  const leaf = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048, algorithm: 'sha256', notBeforeDate: new Date(now.getTime() - DAY), notAfterDate: new Date(now.getTime() + 397 * DAY),
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  });
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await Promise.all([
    writeFile(caCertPath, ca.cert, { mode: 0o644 }),
    writeFile(join(dir, 'cert.pem'), leaf.cert, { mode: 0o644 }),
    writeFile(join(dir, 'key.pem'), leaf.private, { mode: 0o600 }),
    ]);
  } catch (error) {
    throw new SimTlsError(`Cannot write the simulator's certificates to ${dir}; make the directory writable or pass another tlsDir.`, { cause: error });
  }
  return { caCertPem: ca.cert, certPem: leaf.cert, keyPem: leaf.private, dir, caCertPath };
}
