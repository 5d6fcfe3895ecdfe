import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';

/** A real local HTTPS webhook receiver that records every POST and answers as the test says. */

export interface ReceivedPost {
  path: string;
  query: URLSearchParams;
  rawUrl: string;
  contentType: string;
  body: string;
}

export type Reply = { status: number; contentType?: string; body?: string; delayMs?: number } | 'hang';
export type Responder = (post: ReceivedPost) => Reply;

export interface TestCert {
  key: string;
  cert: string;
}

export async function makeCert(): Promise<TestCert> {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

/** Echoes validation tokens (decoded, text/plain), accepts notifications with 202. */
export const graphFriendly: Responder = (post) => {
  const token = post.query.get('validationToken');
  if (token !== null) return { status: 200, contentType: 'text/plain; charset=utf-8', body: token };
  return { status: 202 };
};

export class Receiver {
  readonly posts: ReceivedPost[] = [];
  respond: Responder = graphFriendly;
  readonly #server: Server;
  readonly timers = new Set<NodeJS.Timeout>();

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(cert: TestCert): Promise<Receiver> {
    const holder: { receiver?: Receiver } = {};
    const server = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'https://127.0.0.1');
        const post: ReceivedPost = {
          path: url.pathname,
          query: url.searchParams,
          rawUrl: req.url ?? '/',
          contentType: String(req.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
        };
        holder.receiver?.posts.push(post);
        const reply = holder.receiver?.respond(post) ?? { status: 500 };
        if (reply === 'hang') return;
        const send = (): void => {
          res.statusCode = reply.status;
          if (reply.contentType !== undefined) res.setHeader('content-type', reply.contentType);
          res.end(reply.body ?? '');
        };
        if (reply.delayMs === undefined) send();
        else {
          const t = setTimeout(() => {
            holder.receiver?.timers.delete(t);
            send();
          }, reply.delayMs);
          holder.receiver?.timers.add(t);
        }
      });
    });
    const receiver = new Receiver(server);
    holder.receiver = receiver;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  url(path = '/notify', host = '127.0.0.1'): string {
    return `https://${host}:${(this.#server.address() as AddressInfo).port}${path}`;
  }

  /** The notification items (value[]) of the POSTs made to `path`, in arrival order. */
  items(path = '/notify'): Record<string, unknown>[] {
    return this.posts
      .filter((p) => p.path === path && !p.query.has('validationToken'))
      .flatMap((p) => (JSON.parse(p.body) as { value: Record<string, unknown>[] }).value);
  }

  /** Notification POSTs (not validation requests) to `path`. */
  deliveries(path = '/notify'): ReceivedPost[] {
    return this.posts.filter((p) => p.path === path && !p.query.has('validationToken'));
  }

  reset(): void {
    this.posts.length = 0;
    this.respond = graphFriendly;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
