/**
 * The load generator of `npm run bench -- connector` (b), in a process of its own so the
 * receiver under test does not share its event loop: `--url U --rate R --seconds S` sends R
 * notification POSTs per second (one notification each, open loop, keep-alive) and prints one
 * JSON line: p50/p99 answer latency (timed from each request's scheduled send), 202s, rate achieved.
 */
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';

export const LOAD_SUBSCRIPTION = 'b1a2c3d4-0000-4000-8000-000000000001';
export const LOAD_CLIENT_STATE = 'bench-client-state-0123456789abcdef';

export interface LoadResult {
  readonly p50: number;
  readonly p99: number;
  readonly ok: number;
  readonly total: number;
  readonly achieved: number;
}

function notificationBody(i: number): string {
  return JSON.stringify({
    value: [{
      subscriptionId: LOAD_SUBSCRIPTION, clientState: LOAD_CLIENT_STATE, changeType: 'updated', tenantId: '7d3b7e6c-1f4a-4a38-9a5e-2c7c1d0a1b01',
      resource: `Users/u/Events/e${i}`, subscriptionExpirationDateTime: '2026-12-06T00:00:00.0000000Z',
      resourceData: { '@odata.type': '#Microsoft.Graph.Event', '@odata.id': `Users/u/Events/e${i}`, '@odata.etag': `W/"k${i}"`, id: `e${i}` },
    }],
  });
}

/** Open-loop load: `rate` POSTs per second for `seconds`, each timed from its scheduled send. */
async function drive(url: string, rate: number, seconds: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const latencies: number[] = [];
  let ok = 0;
  const total = rate * seconds;
  const tickMs = 10;
  const perTick = rate / (1000 / tickMs);
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / tickMs) * perTick));
      for (; sent < due; sent += 1) {
        const body = notificationBody(sent);
        const t0 = performance.now();
        inflight.push(new Promise<void>((done) => {
          const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
            res.resume();
            res.on('end', () => {
              latencies.push(performance.now() - t0);
              if (res.statusCode === 202) ok += 1;
              done();
            });
          });
          req.on('error', () => done());
          req.end(body);
        }));
      }
      if (sent >= total) resolve();
      else setTimeout(tick, tickMs);
    };
    tick();
  });
  await Promise.all(inflight);
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { p50: latencies[Math.floor(latencies.length / 2)] ?? 0, p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0, ok, total, achieved: total / elapsed };
}


async function main(): Promise<void> {
  const arg = (name: string): string => process.argv[process.argv.indexOf(`--${name}`) + 1] ?? '';
  const result = await drive(arg('url'), Number(arg('rate')), Number(arg('seconds')));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
