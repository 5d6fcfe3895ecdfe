/* eslint-disable @typescript-eslint/no-explicit-any -- JSON from the wire */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphSimulator } from '../../../index.js';
import { ALICE, APP, SECRET, TENANT, appToken, call, postForm, startSeeded } from '../helpers.js';

let sim: GraphSimulator;
let token: string;

beforeAll(async () => {
  sim = await startSeeded();
  token = await appToken(sim);
});
afterAll(async () => sim.close());

const tokenForm = { grant_type: 'client_credentials', client_id: APP, client_secret: SECRET, scope: 'https://graph.microsoft.com/.default' };
const tokenCall = () => postForm(sim, `/${TENANT}/oauth2/v2.0/token`, tokenForm);
const graphCall = () => call(sim, 'GET', `/v1.0/users/${ALICE}/mailboxSettings`, { token });

describe('faults – an outage of Graph and the identity platform', () => {
  it('outage – every Graph call answers 503 serviceNotAvailable and every token call 503 temporarily_unavailable until switched off', async () => {
    sim.admin.setFaults({ outage: {} });
    try {
      for (let i = 0; i < 3; i += 1) {
        const graph = await graphCall();
        expect(graph.status).toBe(503);
        expect(graph.body.error.code).toBe('serviceNotAvailable');
        expect(graph.headers['retry-after']).toBeUndefined();
        const identity = await tokenCall();
        expect(identity.status).toBe(503);
        expect(identity.body.error).toBe('temporarily_unavailable');
        expect(identity.body.error_codes).toEqual([90033]);
        expect(identity.body.access_token).toBeUndefined();
      }
      const metadata = await call(sim, 'GET', `/${TENANT}/v2.0/.well-known/openid-configuration`);
      expect(metadata.status).toBe(503);
      // The admin endpoints stay up (a test must be able to end the outage over HTTP).
      expect((await call(sim, 'GET', '/_sim/health')).status).toBe(200);
    } finally {
      sim.admin.setFaults({ outage: false });
    }
    expect((await graphCall()).status).toBe(200);
    expect((await tokenCall()).status).toBe(200);
  });

  it('outage – answers carry the Retry-After given, and are logged with their status', async () => {
    const since = Date.now();
    sim.admin.setFaults({ outage: { retryAfterSeconds: 7 } });
    try {
      expect((await graphCall()).headers['retry-after']).toBe('7');
      expect((await tokenCall()).headers['retry-after']).toBe('7');
    } finally {
      sim.admin.setFaults({ outage: false });
    }
    const failed = sim.admin.calls({ since }).filter((c) => c.status === 503);
    expect(failed.map((c) => c.url)).toEqual([`/v1.0/users/${ALICE}/mailboxSettings`, `/${TENANT}/oauth2/v2.0/token`]);
  });

  it('outage – in reset mode every Graph and token connection is reset before any answer', async () => {
    sim.admin.setFaults({ outage: { mode: 'reset' } });
    try {
      await expect(graphCall()).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET|EPIPE/) });
      await expect(tokenCall()).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET|EPIPE/) });
      expect((await call(sim, 'GET', '/_sim/health')).status).toBe(200);
    } finally {
      sim.admin.setFaults({ outage: false });
    }
    expect((await graphCall()).status).toBe(200);
  });

  it('outage – is switched off by clearFaults and over HTTP, and a bad mode is refused without changing anything', async () => {
    sim.admin.setFaults({ outage: {} });
    sim.admin.clearFaults();
    expect((await graphCall()).status).toBe(200);
    expect((await call(sim, 'POST', '/_sim/faults', { body: { outage: { mode: 'unavailable' } } })).status).toBe(204);
    expect((await graphCall()).status).toBe(503);
    expect((await call(sim, 'POST', '/_sim/faults', { body: { outage: false } })).status).toBe(204);
    expect((await graphCall()).status).toBe(200);
    expect(() => sim.admin.setFaults({ outage: { mode: 'sometimes' as any }, latencyMs: 5 })).toThrow(/outage.mode must be one of/);
    expect(() => sim.admin.setFaults({ outage: { retryAfterSeconds: -1 } })).toThrow(/retryAfterSeconds/);
    expect(sim.admin.faults.latencyMs).toBe(0);
    expect(sim.admin.faults.outage).toBeUndefined();
  });
});
