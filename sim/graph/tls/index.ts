import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
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

async function readValid(dir: string): Promise<SimTls | undefined> {
  try {
    const bundle = JSON.parse(await readFile(join(dir, 'bundle.json'), 'utf8')) as { ca: string; cert: string; key: string };
    const caOnDisk = await readFile(join(dir, 'ca.pem'), 'utf8');
    const leaf = new X509Certificate(bundle.cert);
    const keyMatches = createPublicKey(createPrivateKey(bundle.key)).export({ type: 'spki', format: 'der' })
      .equals(leaf.publicKey.export({ type: 'spki', format: 'der' }));
    if (caOnDisk === bundle.ca && keyMatches && Date.parse(leaf.validTo) - Date.now() > 30 * DAY && leaf.verify(new X509Certificate(bundle.ca).publicKey)) {
      return { caCertPem: bundle.ca, certPem: bundle.cert, keyPem: bundle.key, dir, caCertPath: join(dir, 'ca.pem') };
    }
  } catch {
    // missing or unreadable: (re)generate
  }
  return undefined;
}

async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode });
  await rename(tmp, path);
}

/**
 * Takes the lock file, polling every 100 ms for at most 15 s while another process holds it (and
 * returning its certificates as soon as they are ready). The package is standalone: this small
 * wait is its own, not the product's common/retry.
 */
async function takeLock(lockPath: string, dir: string): Promise<FileHandle | SimTls | undefined> {
  for (let attempt = 0; attempt < 150; attempt += 1) {
    try {
      return await open(lockPath, 'wx');
    } catch {
      await sleep(100);
      const ready = await readValid(dir);
      if (ready !== undefined) return ready;
    }
  }
  return undefined;
}

/**
 * A private CA and a `localhost` / 127.0.0.1 leaf certificate signed by it, generated once and cached
 * (regenerated when missing, inconsistent or within 30 days of expiry). Concurrent processes (parallel
 * test files) take a lock file so they all end up with the same CA.
 */
export async function loadOrCreateTls(dir: string = DEFAULT_TLS_DIR): Promise<SimTls> {
  const cached = await readValid(dir);
  if (cached !== undefined) return cached;
  const lockPath = join(dir, '.lock');
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new SimTlsError(`Cannot create the simulator's certificate directory ${dir}; make it writable or pass another tlsDir.`, { cause: error });
  }
  const lock = await takeLock(lockPath, dir);
  if (lock !== undefined && !('close' in lock)) return lock;
  if (lock === undefined) {
    await rm(lockPath, { force: true });
    return loadOrCreateTls(dir);
  }
  try {
    const again = await readValid(dir);
    if (again !== undefined) return again;
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
    await writeAtomic(join(dir, 'ca.pem'), ca.cert, 0o644);
    await writeAtomic(join(dir, 'cert.pem'), leaf.cert, 0o644);
    await writeAtomic(join(dir, 'key.pem'), leaf.private, 0o600);
    await writeAtomic(join(dir, 'bundle.json'), JSON.stringify({ ca: ca.cert, cert: leaf.cert, key: leaf.private }), 0o600);
    return { caCertPem: ca.cert, certPem: leaf.cert, keyPem: leaf.private, dir, caCertPath: join(dir, 'ca.pem') };
  } catch (error) {
    throw new SimTlsError(`Cannot write the simulator's certificates to ${dir}; make the directory writable or pass another tlsDir.`, { cause: error });
  } finally {
    await lock.close();
    await rm(lockPath, { force: true });
  }
}
