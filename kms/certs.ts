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
}

/**
 * A private CA, a server certificate (for the given host names / IPs) and a client certificate
 * (common name `clientCn`) for mutual TLS between the service and `hycal kms serve`. EC P-256,
 * SHA-256. For tests and first installs; production uses the customer's own PKI.
 */
export async function generateKmsCertificates(options: { hosts?: readonly string[]; clientCn?: string; days?: number } = {}): Promise<KmsCertificates> {
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
  const client = await generate([{ name: 'commonName', value: options.clientCn ?? 'hycal-service' }], {
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
  return {
    caCert: ca.cert,
    caKey: ca.private,
    serverCert: server.cert,
    serverKey: server.private,
    clientCert: client.cert,
    clientKey: client.private,
  };
}

/** Writes the certificates as PEM files (private keys mode 0600); returns their paths. */
export async function writeKmsCertificates(dir: string, certs: KmsCertificates): Promise<Record<keyof KmsCertificates, string>> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const files: Record<keyof KmsCertificates, string> = {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
  };
  for (const [name, path] of Object.entries(files) as [keyof KmsCertificates, string][]) {
    await writeFile(path, certs[name], { mode: name.endsWith('Key') ? 0o600 : 0o644 });
  }
  return files;
}
