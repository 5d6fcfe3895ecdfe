import { Agent, request as httpsRequest } from 'node:https';
import { createSecureContext, rootCertificates } from 'node:tls';
import { GraphUnavailableError } from './errors.js';

/**
 * The one HTTPS client of the connector (Graph and the identity platform). Node's own TLS stack
 * with an optional extra CA (a TLS-inspecting proxy, a test simulator) given as an explicit option,
 * keep-alive sockets, and a per-request timeout. Nothing here knows Graph's semantics.
 */
export interface TransportOptions {
  /** Extra trusted CA certificates (PEM), added to Node's defaults. */
  readonly ca?: string | readonly string[];
  /** Per-request timeout (connect + response), ms. */
  readonly timeoutMs: number;
  /** Open sockets kept per host. */
  readonly maxSockets: number;
}

export interface TransportRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

export interface TransportResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export class HttpsTransport {
  readonly #agent: Agent;
  readonly #timeoutMs: number;

  constructor(options: TransportOptions) {
    const extra = options.ca === undefined ? [] : Array.isArray(options.ca) ? [...(options.ca as readonly string[])] : [options.ca as string];
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: options.maxSockets,
      // One TLS context for every socket: passing `ca` instead makes Node parse the ~140 roots into
      // a new context per connection (CPU and about a megabyte each) and hash them into the pool key per request.
      ...(extra.length === 0 ? {} : { secureContext: createSecureContext({ ca: [...rootCertificates, ...extra] }) }),
    });
    this.#timeoutMs = options.timeoutMs;
  }

  send(req: TransportRequest): Promise<TransportResponse> {
    return new Promise((resolve, reject) => {
      const url = new URL(req.url);
      if (url.protocol !== 'https:') {
        reject(new GraphUnavailableError(`Refusing a plain-HTTP request to ${url.host}: Graph and the identity platform are HTTPS only.`, { retryable: false }));
        return;
      }
      const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
      const headers: Record<string, string> = { ...req.headers };
      if (body !== undefined) headers['content-length'] = String(body.length);
      const r = httpsRequest(url, { method: req.method, headers, agent: this.#agent, timeout: this.#timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => reject(unavailable(url, error)));
        res.on('end', () => {
          const out: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks) });
        });
      });
      r.on('timeout', () => r.destroy(new Error(`timed out after ${this.#timeoutMs} ms`)));
      r.on('error', (error) => reject(unavailable(url, error)));
      if (body !== undefined) r.write(body);
      r.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

function unavailable(url: URL, error: Error): GraphUnavailableError {
  // The message names the host only: paths carry mailbox ids and query strings carry tokens.
  return new GraphUnavailableError(`${url.host} could not be reached (${error.message}); retried with back-off. Check the network path to Microsoft 365.`, { cause: error });
}
