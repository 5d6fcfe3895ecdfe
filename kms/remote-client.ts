import { Agent, request } from 'node:https';
import { readFileSync } from 'node:fs';
import type { HcError } from '../common/index.js';
import {
  CiphertextMalformedError,
  DecryptFailedError,
  KeyDestroyedError,
  KeyNotFoundError,
  KmsInputError,
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
};

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

  constructor(options: { url: string; tls: RemoteKmsTls; timeoutMs?: number }) {
    this.#url = new URL(options.url);
    this.#agent = new Agent({ ca: options.tls.ca, cert: options.tls.cert, key: options.tls.key, keepAlive: true, maxSockets: 16, minVersion: 'TLSv1.2' });
    this.#timeoutMs = options.timeoutMs ?? 5_000;
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
    });
  }

  #call(method: 'POST' | 'DELETE', path: string, body?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const target = new URL(this.#url);
      target.pathname = `${this.#url.pathname.replace(/\/+$/, '')}${path}`;
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
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (error) => reject(new KmsUnavailableError('The on-premises KMS connection broke; retried.', { cause: error })));
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
              resolve(parsed);
              return;
            }
            const code = typeof parsed['code'] === 'string' ? parsed['code'] : '';
            const message = typeof parsed['message'] === 'string' ? parsed['message'] : `The on-premises KMS answered ${status}.`;
            const typed = status < 500 ? TYPED[code] : undefined;
            reject(typed !== undefined ? typed(`On-premises KMS: ${message}`) : new KmsUnavailableError(`The on-premises KMS answered ${status}; retried.`, { details: { status } }));
          });
        },
      );
      req.on('timeout', () => req.destroy(new KmsUnavailableError(`The on-premises KMS did not answer within ${this.#timeoutMs} ms; retried.`)));
      req.on('error', (error) => {
        reject(error instanceof KmsUnavailableError
          ? error
          : new KmsUnavailableError(`The on-premises KMS at ${this.#url.host} cannot be reached (${(error as { code?: string }).code ?? 'network error'}); the work waits and retries.`, { cause: error }));
      });
      req.end(payload);
    });
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
