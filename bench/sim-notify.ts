import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { generate } from 'selfsigned';
import { ManualClock } from '../common/index.js';
import { NotificationHub } from '@hybrid-calendar/sim-graph/notifications';
import { HttpsWebhookTransport } from '@hybrid-calendar/sim-graph/notifications';
import type { BenchReport } from './report.js';

/**
 * Benchmark of the Graph simulator's notification hub: publish rate, and
 * delivery rate to a local HTTPS receiver next to the baseline of bare POSTs of the same batches
 * through the same HTTPS client.
 */

export interface NotifyBenchOptions {
  mailboxes?: number;
  changes?: number;
  endpoints?: number;
}

export async function run(opts: NotifyBenchOptions = {}): Promise<BenchReport> {
  const mailboxes = opts.mailboxes ?? 1_000;
  const changes = opts.changes ?? 50_000;
  const endpoints = opts.endpoints ?? 10;
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  let received = 0;
  const server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const token = url.searchParams.get('validationToken');
      if (token !== null) {
        res.writeHead(200, { 'content-type': 'text/plain' }).end(token);
        return;
      }
      received += (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { value: unknown[] }).value.length;
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const clock = new ManualClock();
    const hub = new NotificationHub({
      clock,
      graphBaseUrl: 'https://127.0.0.1/v1.0',
      resolveMailbox: (_tenant, id) => id,
      caCertPem: pems.cert,
      subscriptionApiLimits: false,
    });
    const caller = { tenantId: 'bench', appId: 'bench-app', scopes: [], roles: ['Calendars.Read'] };
    const expirationDateTime = new Date(clock.now() + 24 * 3_600_000).toISOString();
    let t0 = performance.now();
    for (let i = 0; i < mailboxes; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, mailboxes - i) }, (_, j) =>
          hub.create(caller, { changeType: 'created,updated,deleted', notificationUrl: `${base}/n${(i + j) % endpoints}`, resource: `/users/m${i + j}/events`, expirationDateTime }),
        ),
      );
    }
    const createSecs = (performance.now() - t0) / 1000;

    t0 = performance.now();
    for (let i = 0; i < changes; i += 1) {
      hub.publish({ tenantId: 'bench', mailboxId: `m${i % mailboxes}`, changeType: 'updated', eventId: `e${i}`, at: clock.now() });
    }
    const publishSecs = (performance.now() - t0) / 1000;

    received = 0;
    t0 = performance.now();
    await hub.flush();
    const deliverSecs = (performance.now() - t0) / 1000;
    const delivered = received;
    const posts = hub.stats().posts;
    await hub.stop();

    // Baseline: the same number of POSTs with the same batch size, straight through the HTTPS client.
    const transport = new HttpsWebhookTransport(pems.cert);
    const perEndpoint = Math.ceil(posts / endpoints);
    const body = JSON.stringify({ value: Array.from({ length: Math.ceil(delivered / Math.max(posts, 1)) }, (_, i) => ({ subscriptionId: 's', changeType: 'updated', resource: `Users/m/Events/e${i}` })) });
    received = 0;
    t0 = performance.now();
    await Promise.all(
      Array.from({ length: endpoints }, async (_, e) => {
        for (let i = 0; i < perEndpoint; i += 1) {
          await transport.post({ url: `${base}/n${e}`, body, contentType: 'application/json', timeoutMs: 3_000, tlsVersion: 'v1_2' });
        }
      }),
    );
    const baselineSecs = (performance.now() - t0) / 1000;
    transport.close();
    const deliverRate = delivered / deliverSecs;
    const baselineRate = received / baselineSecs;
    return {
      name: 'sim-notify',
      rows: [
        { case: `create subscriptions (handshake each), ${mailboxes}`, opsPerSec: mailboxes / createSecs },
        { case: `publish ${changes} changes`, opsPerSec: changes / publishSecs },
        { case: 'bare HTTPS POSTs of equal batches', opsPerSec: baselineRate, note: 'baseline: same client, no hub' },
        {
          case: `deliver ${delivered} notifications in ${posts} POSTs to ${endpoints} endpoints`,
          opsPerSec: deliverRate,
          baseline: 'bare HTTPS POSTs of equal batches',
          ratio: deliverRate / baselineRate,
        },
      ],
    };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
