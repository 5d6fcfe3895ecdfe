import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startOpsServer, type HealthReport, type OpsServer } from '../../../ops/index.js';

describe('ops – operations endpoints', () => {
  let server: OpsServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('ops – /metrics serves the registry in Prometheus text format', async () => {
    const registry = new Registry();
    new Counter({ name: 'hycal_test_things_total', help: 'Things', registers: [registry] }).inc(3);
    server = await startOpsServer({ host: '127.0.0.1', port: 0, registry, sources: [] });
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(await response.text()).toContain('hycal_test_things_total 3');
  });

  it('ops – /healthz and /readyz answer 200 when every part is live and ready, 503 naming the part and its reason otherwise', async () => {
    let state: HealthReport = { name: 'runtime a', live: true, ready: false, reason: 'joining the consumer group' };
    const other: HealthReport = { name: 'runtime b', live: true, ready: true };
    server = await startOpsServer({ host: '127.0.0.1', port: 0, registry: new Registry(), sources: [{ health: () => state }, { health: () => other }] });
    const get = async (path: string): Promise<{ status: number; body: { status: string; parts: HealthReport[] } }> => {
      const response = await fetch(`${server?.url ?? ''}${path}`);
      return { status: response.status, body: (await response.json()) as { status: string; parts: HealthReport[] } };
    };
    expect((await get('/healthz')).status).toBe(200);
    const notReady = await get('/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.body.parts).toContainEqual({ name: 'runtime a', live: true, ready: false, reason: 'joining the consumer group' });
    state = { name: 'runtime a', live: true, ready: true };
    expect((await get('/readyz')).status).toBe(200);
    state = { name: 'runtime a', live: false, ready: false, reason: 'the consumer crashed and does not restart' };
    const broken = await get('/healthz');
    expect(broken.status).toBe(503);
    expect(broken.body.status).toBe('broken');
  });
});
