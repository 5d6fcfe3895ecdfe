import { Agent, request } from 'node:https';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { HcError } from '../common/index.js';
import {
  CiphertextMalformedError,
  DecryptFailedError,
  KeyDestroyedError,
  KeyNotFoundError,
  KeyStoreCorruptError,
  KmsCertificateRefusedError,
  KmsInputError,
  KmsRateLimitedError,
  KmsRequestRefusedError,
  KmsUnavailableError,
  MasterKeyError,
} from './errors.js';
import type { RemoteKmsClientOptions } from './options.js';
import type { DataKeyRef, KmsProvider } from './provider.js';

export interface RemoteKmsTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

const TYPED: Readonly<Record<string, (message: string) => HcError>> = {
  HC_ERR_KMS_KEY_NOT_FOUND: (m) => new KeyNotFoundError(m),
  HC_ERR_KMS_KEY_DESTROYED: (m) => new KeyDestroyedError(m),
  HC_ERR_KMS_DECRYPT_FAILED: (m) => new DecryptFailedError(m),
  HC_ERR_KMS_CIPHERTEXT_MALFORMED: (m) => new CiphertextMalformedError(m),
  HC_ERR_KMS_INPUT: (m) => new KmsInputError(m),
  HC_ERR_KMS_REFUSED: (m) => new KmsRequestRefusedError(m),
  HC_ERR_KMS_MASTER_KEY: (m) => new MasterKeyError(m),
  HC_ERR_KMS_KEY_CORRUPT: (m) => new KeyStoreCorruptError(m),
  HC_ERR_KMS_RATE_LIMITED: (m) => new KmsRateLimitedError(m),
};

/** Codes our side raises when it does not accept the KMS's server certificate. */
const SERVER_CERT_REFUSED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE', 'CERT_REVOKED', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'HOSTNAME_MISMATCH', 'ERR_SSL_WRONG_VERSION_NUMBER',
]);
/** TLS alerts by which the KMS tells us it does not accept our client certificate. */
const CLIENT_CERT_REFUSED = /^ERR_SSL_(?:TLSV13|TLSV1|SSLV3)_ALERT_(?:CERTIFICATE_\w+|BAD_CERTIFICATE|UNKNOWN_CA|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED)$/;

/** A non-secret description of a PEM certificate: its subject CN and the start of its fingerprint. */
function certificateName(pem: string, file: string | undefined): string {
  const where = file === undefined ? '' : ` (${file})`;
  if (pem.trim() === '') return `no client certificate${where}`;
  try {
    const cert = new X509Certificate(pem);
    const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? cert.subject;
    return `client certificate CN=${cn}, SHA-256 ${cert.fingerprint256.slice(0, 23)}…${where}`;
  } catch {
    return `client certificate${where} (not a PEM certificate)`;
  }
}

/**
 * Client of the on-premises KMS (`hycal kms serve`) over HTTPS with mutual TLS. Transport
 * failures, time-outs and 5xx answers are `KmsUnavailableError` (retryable): the work waits for
 * the customer's KMS, it never proceeds without it.
 */
export class RemoteKmsClient implements KmsProvider {
  readonly kind = 'remote' as const;
  readonly #url: URL;
  readonly #agent: Agent;
  readonly #timeoutMs: number;
  readonly #maxResponseBytes: number;
  readonly #clientCertificate: string;
  readonly #caFile: string;

  constructor(options: { url: string; tls: RemoteKmsTls; timeoutMs?: number; maxResponseBytes?: number; files?: { cert?: string; ca?: string } }) {
    this.#url = new URL(options.url);
    if (this.#url.protocol !== 'https:') throw new KmsInputError('The on-premises KMS URL must be https:// (kms.remote.url).');
    this.#agent = new Agent({ ca: options.tls.ca, cert: options.tls.cert, key: options.tls.key, keepAlive: true, maxSockets: 16, minVersion: 'TLSv1.2' });
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#maxResponseBytes = options.maxResponseBytes ?? 64 * 1024;
    this.#clientCertificate = certificateName(options.tls.cert, options.files?.cert);
    this.#caFile = options.files?.ca === undefined ? 'the configured CA' : `the CA in ${options.files.ca}`;
  }

  static fromOptions(options: RemoteKmsClientOptions): RemoteKmsClient {
    const read = (file: string): string => {
      try {
        return readFileSync(file, 'utf8');
      } catch (error) {
        throw new KmsInputError(`Cannot read ${file} for the remote KMS connection; check kms.remote.`, { cause: error });
      }
    };
    return new RemoteKmsClient({
      url: options.url,
      tls: { ca: read(options.caFile), cert: read(options.certFile), key: read(options.keyFile) },
      timeoutMs: options.timeoutMs,
      maxResponseBytes: options.maxResponseBytes,
      files: { cert: options.certFile, ca: options.caFile },
    });
  }

  /** A transport error: a refused handshake is a configuration error naming the certificate; the rest waits and retries. */
  #transportError(error: unknown): HcError {
    if (error instanceof KmsUnavailableError) return error;
    const code = (error as { code?: string }).code ?? '';
    if (CLIENT_CERT_REFUSED.test(code) || (code === 'ECONNRESET' && this.#clientCertificate.startsWith('no client'))) {
      return new KmsCertificateRefusedError(
        `The on-premises KMS at ${this.#url.host} refused our ${this.#clientCertificate} during the TLS handshake (${code}): ` +
          'it must be signed by the CA the KMS trusts (hycal kms serve --ca), valid now, and carry clientAuth. Fix kms.remote.certFile/keyFile and restart.',
        { cause: error, details: { tlsCode: code } },
      );
    }
    if (SERVER_CERT_REFUSED.has(code) || code.startsWith('ERR_OSSL_')) {
      return new KmsCertificateRefusedError(
        `The server certificate of the on-premises KMS at ${this.#url.host} was not accepted (${code}): it must be signed by ${this.#caFile} ` +
          '(kms.remote.caFile) and name the host of kms.remote.url. Fix the configuration and restart.',
        { cause: error, details: { tlsCode: code } },
      );
    }
    return new KmsUnavailableError(`The on-premises KMS at ${this.#url.host} cannot be reached (${code || 'network error'}); the work waits and retries.`, { cause: error });
  }

  #call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const target = new URL(this.#url);
      target.pathname = `${this.#url.pathname.replace(/\/+$/, '')}${path}`;
      let settled = false;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        fn();
      };
      const abort = (error: KmsUnavailableError): void => {
        finish(() => reject(error));
        req.destroy();
      };
      const req = request(
        target,
        {
          method,
          agent: this.#agent,
          timeout: this.#timeoutMs,
          headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': payload.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > this.#maxResponseBytes) {
              abort(new KmsUnavailableError(`The on-premises KMS answered more than ${this.#maxResponseBytes} bytes; is kms.remote.url the KMS? Retried.`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', (error) => finish(() => reject(this.#transportError(error))));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            let parsed: Record<string, unknown> = {};
            try {
              const text = Buffer.concat(chunks).toString('utf8');
              parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
            } catch {
              parsed = {};
            }
            if (status >= 200 && status < 300) {
              finish(() => resolve(parsed));
              return;
            }
            const code = typeof parsed['code'] === 'string' ? parsed['code'] : '';
            const message = typeof parsed['message'] === 'string' ? parsed['message'] : `The on-premises KMS answered ${status}.`;
            if (code === 'HC_ERR_KMS_CERTIFICATE_REFUSED') {
              finish(() => reject(new KmsCertificateRefusedError(`The on-premises KMS at ${this.#url.host} refused our ${this.#clientCertificate}: ${message} Fix kms.remote.certFile/keyFile and restart.`)));
              return;
            }
            const typed = status < 500 || code === 'HC_ERR_KMS_KEY_CORRUPT' ? TYPED[code] : undefined;
            finish(() =>
              reject(typed !== undefined ? typed(`On-premises KMS: ${message}`) : new KmsUnavailableError(`The on-premises KMS answered ${status}; retried.`, { details: { status } })),
            );
          });
        },
      );
      // A bound on the whole exchange (connect, handshake, answer), not only on idle sockets.
      const tooSlow = (): KmsUnavailableError => new KmsUnavailableError(`The on-premises KMS did not answer within ${this.#timeoutMs} ms; retried.`);
      const deadline = setTimeout(() => abort(tooSlow()), this.#timeoutMs);
      req.on('timeout', () => abort(tooSlow()));
      req.on('error', (error) => finish(() => reject(this.#transportError(error))));
      req.end(payload);
    });
  }

  /**
   * Checks at start that the KMS accepts this client (TLS handshake and allowlist): the
   * composition root calls it so that a certificate problem stops the service at once, naming
   * the certificate, instead of surfacing record by record.
   */
  async probe(): Promise<{ identity: string }> {
    const answer = await this.#call('GET', '/healthz');
    return { identity: typeof answer['identity'] === 'string' ? answer['identity'] : '' };
  }

  #tenantPath(tenantId: string): string {
    return `/v1/tenants/${encodeURIComponent(tenantId)}`;
  }

  async ensureTenant(tenantId: string): Promise<void> {
    await this.#call('POST', `${this.#tenantPath(tenantId)}/ensure`);
  }

  async wrapDataKey(tenantId: string, ref: DataKeyRef, dataKey: Buffer): Promise<Buffer> {
    const answer = await this.#call('POST', `${this.#tenantPath(tenantId)}/wrap`, { keyId: ref.keyId, version: ref.version, dataKey: dataKey.toString('base64') });
    if (typeof answer['wrapped'] !== 'string') throw new KmsUnavailableError('The on-premises KMS gave an unexpected answer; retried.');
    return Buffer.from(answer['wrapped'], 'base64');
  }

  async unwrapDataKey(tenantId: string, ref: DataKeyRef, wrapped: Buffer): Promise<Buffer> {
    const answer = await this.#call('POST', `${this.#tenantPath(tenantId)}/unwrap`, { keyId: ref.keyId, version: ref.version, wrapped: wrapped.toString('base64') });
    const dataKey = answer['dataKey'];
    if (typeof dataKey !== 'string' || Buffer.from(dataKey, 'base64').length !== 32) {
      throw new KmsUnavailableError('The on-premises KMS gave an unexpected answer; retried.');
    }
    return Buffer.from(dataKey, 'base64');
  }

  async destroyTenant(tenantId: string): Promise<void> {
    await this.#call('DELETE', this.#tenantPath(tenantId));
  }

  close(): Promise<void> {
    this.#agent.destroy();
    return Promise.resolve();
  }
}
