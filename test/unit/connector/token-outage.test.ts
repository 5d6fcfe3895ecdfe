import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../common/clock.js';
import { HcError } from '../../../common/index.js';
import { GraphConnections, graphAccessOptionsSchema, type GraphAccess } from '../../../graph/index.js';
import type { GraphSimulator } from '@hybrid-calendar/sim-graph';
import { ALICE, APP, SECRET, TENANT, startSeeded } from '../../../sim/graph/test/unit/helpers.js';

/**
 * The identity platform down and back (the simulator's `outage` fault). msal-node remembers a 5xx
 * or 429 of the token endpoint for 60 s (its ThrottlingUtils; the answer's Retry-After when given)
 * and answers every token request from that memory without asking again: the service would stay
 * blind for up to a minute after the outage ended. The governor's own back-off paces the retries.
 */
describe('connector access – the token endpoint down and back', () => {
  let sim: GraphSimulator;
  const waits: number[] = [];
  const opened: GraphConnections[] = [];

  beforeAll(async () => {
    sim = await startSeeded();
  });

  afterAll(async () => {
    for (const connections of opened) connections.close();
    await sim.close();
  });

  /** A fresh client (no token cached yet), two attempts per request, waits recorded. */
  function connect(): GraphAccess {
    const connections = new GraphConnections({
      options: graphAccessOptionsSchema.parse({
        caPem: sim.caCertPem, graphBaseUrl: sim.graphBaseUrl, authorityHost: sim.authorityUrl,
        knownAuthorities: [sim.knownAuthority], authorityMetadata: sim.authorityMetadata, maxAttempts: 2,
      }),
      clock: systemClock,
      sleep: async (ms) => {
        waits.push(ms);
        await new Promise((r) => setTimeout(r, 1));
      },
      random: () => 0.5,
    });
    opened.push(connections);
    return connections.forTenant({ tenantId: TENANT, cloud: 'worldwide' }, { clientId: APP, credential: { kind: 'secret', clientSecret: SECRET } });
  }

  async function failure(graph: GraphAccess): Promise<HcError> {
    const error = await graph.getMailboxSettings(ALICE).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(HcError);
    return error as HcError;
  }

  it('auth – the first token request after an identity outage asks the identity platform again (no minute-long stall from msal\'s memory of the 503)', async () => {
    const graph = connect();
    const since = Date.now();
    sim.admin.setFaults({ outage: {} });
    try {
      const error = await failure(graph);
      expect(error.code).toBe('HC_ERR_GRAPH_UNAVAILABLE');
      expect(error.retryable).toBe(true);
    } finally {
      sim.admin.setFaults({ outage: false });
    }
    const tokenCalls = () => sim.admin.calls({ since, pathIncludes: '/oauth2/v2.0/token' });
    // Both attempts of the request reached the token endpoint, and the next one does too.
    expect(tokenCalls().map((c) => c.status)).toEqual([503, 503]);
    const settings = await graph.getMailboxSettings(ALICE);
    expect(settings['timeZone']).toBeDefined();
    expect(tokenCalls().map((c) => c.status)).toEqual([503, 503, 200]);
  });

  it('auth – a Retry-After of the token endpoint is reported as the wait (details.retryAfterMs) and the governor waits no less', async () => {
    const graph = connect();
    waits.length = 0;
    sim.admin.setFaults({ outage: { retryAfterSeconds: 7 } });
    try {
      const error = await failure(graph);
      expect(error.code).toBe('HC_ERR_GRAPH_UNAVAILABLE');
      expect(error.details['retryAfterMs']).toBe(7000);
      expect(waits).toEqual([7000]);
    } finally {
      sim.admin.setFaults({ outage: false });
    }
    expect((await graph.getMailboxSettings(ALICE))['timeZone']).toBeDefined();
  });
});
