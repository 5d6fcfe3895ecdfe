import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface KmsCertificates {
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** Administrative identity of the KMS: may delete (crypto-shred) tenant keys, nothing else. */
  readonly adminCert: string;
  readonly adminKey: string;
}

function issueClientCertificate(signer: { key: string; cert: string }, cn: string, notAfterDate: Date): ReturnType<typeof generate> {
  return generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate,
    ca: signer,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });
}

/** Another client certificate (common name `cn`) from the CA of `certs`, e.g. one per service or site. */
export async function generateClientCertificate(certs: Pick<KmsCertificates, 'caCert' | 'caKey'>, cn: string, days = 365): Promise<{ cert: string; key: string }> {
  const made = await issueClientCertificate({ key: certs.caKey, cert: certs.caCert }, cn, new Date(Date.now() + days * 24 * 60 * 60 * 1000));
  return { cert: made.cert, key: made.private };
}

/**
 * A private CA, a server certificate (for the given host names / IPs) and a client certificate
 * (common name `clientCn`) for mutual TLS between the service and `hycal kms serve`. EC P-256,
 * SHA-256. For tests and first installs; production uses the customer's own PKI.
 */
export async function generateKmsCertificates(options: { hosts?: readonly string[]; clientCn?: string; adminCn?: string; days?: number } = {}): Promise<KmsCertificates> {
  const hosts = options.hosts ?? ['localhost', '127.0.0.1'];
  const notAfterDate = new Date(Date.now() + (options.days ?? 365) * 24 * 60 * 60 * 1000);
  const ca = await generate([{ name: 'commonName', value: 'hybrid-calendar KMS CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const signer = { key: ca.private, cert: ca.cert };
  const server = await generate([{ name: 'commonName', value: hosts[0] ?? 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate,
    ca: signer,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: hosts.map((host) => (/^[\d.]+$|:/.test(host) ? { type: 7 as const, ip: host } : { type: 2 as const, value: host })),
      },
    ],
  });
  const client = await issueClientCertificate(signer, options.clientCn ?? 'hycal-service', notAfterDate);
  const admin = await issueClientCertificate(signer, options.adminCn ?? 'hycal-kms-admin', notAfterDate);
  return {
    caCert: ca.cert,
    caKey: ca.private,
    serverCert: server.cert,
    serverKey: server.private,
    clientCert: client.cert,
    clientKey: client.private,
    adminCert: admin.cert,
    adminKey: admin.private,
  };
}

/**
 * Writes the certificates as PEM files, one directory per party so that no party's copy carries
 * another's private key (private keys mode 0600, directories 0700); returns their paths:
 *
 *   ca/       ca.crt, ca.key          — keep offline; only needed to issue more certificates
 *   server/   server.crt, server.key, ca.crt   — for `hycal kms serve`
 *   service/  client.crt, client.key, ca.crt   — for the service (kms.remote)
 *   admin/    admin.crt, admin.key, ca.crt     — the KMS's administrative identity (key deletion)
 */
export async function writeKmsCertificates(dir: string, certs: KmsCertificates): Promise<Record<keyof KmsCertificates, string>> {
  const files: Record<keyof KmsCertificates, string> = {
    caCert: join(dir, 'ca', 'ca.crt'),
    caKey: join(dir, 'ca', 'ca.key'),
    serverCert: join(dir, 'server', 'server.crt'),
    serverKey: join(dir, 'server', 'server.key'),
    clientCert: join(dir, 'service', 'client.crt'),
    clientKey: join(dir, 'service', 'client.key'),
    adminCert: join(dir, 'admin', 'admin.crt'),
    adminKey: join(dir, 'admin', 'admin.key'),
  };
  for (const party of ['ca', 'server', 'service', 'admin']) {
    await mkdir(join(dir, party), { recursive: true, mode: 0o700 });
    if (party !== 'ca') await writeFile(join(dir, party, 'ca.crt'), certs.caCert, { mode: 0o644 });
  }
  for (const [name, path] of Object.entries(files) as [keyof KmsCertificates, string][]) {
    await writeFile(path, certs[name], { mode: name.endsWith('Key') ? 0o600 : 0o644, flag: name.endsWith('Key') ? 'wx' : 'w' });
  }
  return files;
}
