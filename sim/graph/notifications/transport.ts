import { Agent, request } from 'node:https';
import { rootCertificates, type SecureVersion } from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { TlsVersion } from './validate.js';

/**
 * How the hub reaches webhook receivers: HTTPS POST with a real-time time-out. Graph is the
 * client here, so this is the one place of the simulator that measures real elapsed time (the
 * slow-endpoint rules are about the receiver's real latency).
 */
export interface PostOutcome {
  /** HTTP status, or 0 when no response arrived (connection, TLS or time-out failure). */
  status: number;
  contentType: string;
  body: string;
  durationMs: number;
  timedOut: boolean;
  /** Network or TLS failure text, when status is 0 and not timed out. */
  error?: string;
}

export interface PostRequest {
  url: string;
  body: string;
  contentType: string;
  timeoutMs: number;
  tlsVersion: TlsVersion;
}

export interface WebhookTransport {
  post(req: PostRequest): Promise<PostOutcome>;
  close(): void;
}

const TLS_MAP: Record<TlsVersion, SecureVersion> = { v1_0: 'TLSv1', v1_1: 'TLSv1.1', v1_2: 'TLSv1.2', v1_3: 'TLSv1.3' };
const MAX_RESPONSE_BYTES = 64 * 1024;

export class HttpsWebhookTransport implements WebhookTransport {
  readonly #agents = new Map<TlsVersion, Agent>();
  readonly #ca: string[];

  /** Trusts the public roots plus the simulator's CA (for receivers on 127.0.0.1 / localhost). */
  constructor(caCertPem?: string) {
    this.#ca = caCertPem === undefined ? [...rootCertificates] : [...rootCertificates, caCertPem];
  }

  #agent(version: TlsVersion): Agent {
    let agent = this.#agents.get(version);
    if (agent === undefined) {
      const maxVersion = TLS_MAP[version];
      const minVersion: SecureVersion = version === 'v1_3' ? 'TLSv1.2' : maxVersion;
      agent = new Agent({ keepAlive: true, maxSockets: 8, ca: this.#ca, maxVersion, minVersion });
      this.#agents.set(version, agent);
    }
    return agent;
  }

  post(req: PostRequest): Promise<PostOutcome> {
    const started = performance.now();
    return new Promise<PostOutcome>((resolve) => {
      let settled = false;
      let clientRequest: ReturnType<typeof request> | undefined;
      const timer = setTimeout(() => {
        finish({ status: 0, contentType: '', body: '', timedOut: true });
        clientRequest?.destroy();
      }, req.timeoutMs);
      const finish = (outcome: Omit<PostOutcome, 'durationMs'>): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...outcome, durationMs: performance.now() - started });
      };
      const payload = Buffer.from(req.body, 'utf8');
      try {
        clientRequest = request(req.url, {
          method: 'POST',
          agent: this.#agent(req.tlsVersion),
          headers: { 'content-type': req.contentType, 'content-length': String(payload.length), 'user-agent': 'hycal-sim-graph-notifications' },
        });
      } catch (error) {
        finish({ status: 0, contentType: '', body: '', timedOut: false, error: String(error) });
        return;
      }
      clientRequest.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
        });
        res.on('end', () => {
          finish({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
            timedOut: false,
          });
        });
        res.on('error', (error) => finish({ status: 0, contentType: '', body: '', timedOut: false, error: error.message }));
      });
      clientRequest.on('error', (error) => finish({ status: 0, contentType: '', body: '', timedOut: false, error: error.message }));
      clientRequest.end(payload);
    });
  }

  close(): void {
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }
}
