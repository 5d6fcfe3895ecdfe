import { createHash, X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../../common/clock.js';
import { GraphConnections, MailboxGates, parseRetryAfter, type GraphAccess } from '../../../graph/index.js';
import { graphAccessOptionsSchema } from '../../../graph/index.js';
import type { GraphSimulator } from '@hybrid-calendar/sim-graph';
import { ALICE, APP, BOB, REDIRECT, SECRET, TENANT, startSeeded } from '../../../sim/graph/test/unit/helpers.js';
import { loadOrCreateTls } from '../../../sim/graph/tls/index.js';

describe('connector access – Retry-After and gates', () => {
  it('access – honours Retry-After exactly, fractional seconds and HTTP dates included', () => {
    expect(parseRetryAfter('2.128', 0)).toBe(2128);
    expect(parseRetryAfter('10', 0)).toBe(10_000);
    expect(parseRetryAfter('0.0005', 0)).toBe(1);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(5000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
    fc.assert(fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 999 }), (s, ms) => {
      const text = `${s}.${String(ms).padStart(3, '0')}`;
      return parseRetryAfter(text, 0) === s * 1000 + ms;
    }));
  });

  it('access – after a 429 a mailbox runs one request at a time, retries first, and regains its concurrency one success at a time', async () => {
    const gates = new MailboxGates(4);
    const order: string[] = [];
    const held = [await gates.acquire('k'), await gates.acquire('k'), await gates.acquire('k'), await gates.acquire('k')];
    gates.throttled('k');
    expect(gates.limitOf('k')).toBe(1);
    const first = gates.acquire('k').then((release) => { order.push('first'); return release; });
    const retry = gates.acquire('k', true).then((release) => { order.push('retry'); return release; });
    for (const release of held) release();
    const r1 = await retry;
    expect(order).toEqual(['retry']); // single-flight: the queued first attempt still waits
    gates.succeeded('k');
    expect(gates.limitOf('k')).toBe(2);
    const r2 = await first;
    expect(order).toEqual(['retry', 'first']);
    gates.succeeded('k');
    gates.succeeded('k');
    expect(gates.limitOf('k')).toBe(4);
    r1();
    r2();
    expect(gates.size).toBe(0);
  });

  it('access – never lets more than four requests of one mailbox run at once', async () => {
    const gates = new MailboxGates(4);
    let active = 0;
    let peak = 0;
    await Promise.all(Array.from({ length: 40 }, async () => {
      const release = await gates.acquire('app|m1');
      active += 1;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 1));
      active -= 1;
      release();
    }));
    expect(peak).toBe(4);
    expect(gates.size).toBe(0);
  });
});

describe('connector access – against the simulator (msal-node + Graph client, configuration only)', () => {
  let sim: GraphSimulator;
  let clock: ManualClock;
  let waits: number[];
  let connections: GraphConnections;
  let graph: GraphAccess;

  beforeAll(async () => {
    sim = await startSeeded();
    clock = new ManualClock(Date.now());
    waits = [];
    connections = new GraphConnections({
      options: graphAccessOptionsSchema.parse({
        caPem: sim.caCertPem, graphBaseUrl: sim.graphBaseUrl, authorityHost: sim.authorityUrl,
        knownAuthorities: [sim.knownAuthority], authorityMetadata: sim.authorityMetadata,
      }),
      clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock.advance(ms);
        await new Promise((r) => setTimeout(r, Math.min(ms, 5)));
      },
      random: () => 0.5,
    });
    graph = connections.forTenant({ tenantId: TENANT, cloud: 'worldwide' }, { clientId: APP, credential: { kind: 'secret', clientSecret: SECRET } });
  });

  afterAll(async () => {
    connections.close();
    await sim.close();
  });

  it('access – reads mailbox settings and domains with an app-only token', async () => {
    const settings = await graph.getMailboxSettings(ALICE);
    expect(settings['timeZone']).toBe('Pacific Standard Time');
    const domains = await graph.listDomains();
    expect(domains.map((d) => d.id).sort()).toEqual(['contoso.com', 'contoso.onmicrosoft.com']);
  });

  it('access – retries 5xx and waits exactly the fractional Retry-After Graph asked for', async () => {
    waits.length = 0;
    sim.admin.setFaults({ retryAfter: 'fractional', serverErrors: { count: 2, status: 503, retryAfterSeconds: 1.5 } });
    const settings = await graph.getMailboxSettings(BOB);
    expect(settings).toBeDefined();
    expect(waits).toEqual([1500, 1500]);
    sim.admin.setFaults({ retryAfter: 'integral' });
  });

  it('access – a 429 storm longer than the attempt budget is waited out as Graph asks (each Retry-After is not a failed attempt)', async () => {
    waits.length = 0;
    // Ten 429s in a row: more than the six attempts of the default budget, far less than its two minutes.
    sim.admin.setFaults({ throttleStorm: { count: 10, retryAfterSeconds: 2 } });
    try {
      const settings = await graph.getMailboxSettings(BOB);
      expect(settings['timeZone']).toBeDefined();
      expect(waits).toEqual(Array.from({ length: 10 }, () => 2000));
    } finally {
      sim.admin.setFaults({ throttleStorm: { count: 0 } });
    }
  });

  it('access – a 429 storm beyond the wait budget fails typed with the wait Graph asked for, and the mailbox stays paused for it', async () => {
    waits.length = 0;
    // 70 s per answer: the budget of 120 s allows one wait, not two.
    sim.admin.setFaults({ throttleStorm: { count: 2, retryAfterSeconds: 70 } });
    try {
      const failure = await graph.getMailboxSettings(BOB).then(() => undefined, (error: unknown) => error);
      expect(failure).toMatchObject({ code: 'HC_ERR_GRAPH_THROTTLED', retryable: true, details: { status: 429, retryAfterMs: 70_000 } });
      expect(waits).toEqual([70_000]);
      // The next request of that mailbox waits out the pause before it reaches Graph.
      const calls = sim.admin.calls({ pathIncludes: 'mailboxSettings' }).length;
      const settings = await graph.getMailboxSettings(BOB);
      expect(settings['timeZone']).toBeDefined();
      expect(waits).toEqual([70_000, 70_000]);
      expect(sim.admin.calls({ pathIncludes: 'mailboxSettings' }).length).toBe(calls + 1);
    } finally {
      sim.admin.setFaults({ throttleStorm: { count: 0 } });
    }
  });

  // Fractional values are exact: a wait ends when the oldest bucket of Outlook's sliding window frees,
  // not the whole window, and Graph counts rejected requests too. Before the gates went single-flight
  // after a 429 (with retries first in line), the four in-flight requests and those queued at the gate
  // all retried together at that instant, refilled the window with rejections, and blew a 20-attempt budget.
  for (const style of ['integral', 'fractional', 'mixed'] as const) {
    it(`access – a 429 storm on one mailbox (${style} Retry-After): every request succeeds within the default attempt budget, never more than four in flight`, async () => {
      sim.admin.setFaults({ retryAfter: style });
      sim.admin.setThrottleLimits({ requestsPerWindow: 6, windowMs: 1_000, concurrent: 4 });
      const storm = new GraphConnections({
        options: graphAccessOptionsSchema.parse({ caPem: sim.caCertPem, graphBaseUrl: sim.graphBaseUrl, authorityHost: sim.authorityUrl, knownAuthorities: [sim.knownAuthority], authorityMetadata: sim.authorityMetadata }),
        clock: systemClock,
      });
      try {
        sim.admin.clearCalls();
        const g = storm.forTenant({ tenantId: TENANT, cloud: 'worldwide' }, { clientId: APP, credential: { kind: 'secret', clientSecret: SECRET } });
        const results = await Promise.all(Array.from({ length: 24 }, () => g.getMailboxSettings(ALICE)));
        expect(results).toHaveLength(24);
        expect(storm.gates.peak).toBeLessThanOrEqual(4);
        const calls = sim.admin.calls({ pathIncludes: 'mailboxSettings' });
        const throttled = calls.filter((c) => c.status === 429);
        expect(throttled.length).toBeGreaterThan(0);
        // Rejections stay proportional to the work (not a herd per Retry-After): at most two per request.
        expect(throttled.length).toBeLessThanOrEqual(2 * 24);
        // Once Graph stops throttling, each success gives back one slot, up to four.
        sim.admin.setThrottleLimits({ requestsPerWindow: 10_000, windowMs: 600_000, concurrent: 4 });
        for (let i = 0; i < 3; i += 1) await g.getMailboxSettings(ALICE);
        expect(storm.gates.limitOf(`${APP}|${ALICE}`)).toBe(4);
      } finally {
        sim.admin.setFaults({ retryAfter: 'integral' });
        sim.admin.setThrottleLimits({ requestsPerWindow: 10_000, windowMs: 600_000, concurrent: 4 });
        storm.close();
      }
    });
  }

  it('access – maps an application access policy 403 and a non-Exchange mailbox to typed errors', async () => {
    sim.admin.setAccessPolicy(TENANT, APP, [ALICE]);
    await expect(graph.getMailboxSettings(BOB)).rejects.toMatchObject({ code: 'HC_ERR_GRAPH_ACCESS_POLICY' });
    sim.admin.setAccessPolicy(TENANT, APP, undefined);
    await expect(graph.getMailboxSettings('0a0a0a0a-0000-4000-8000-000000000004')).rejects.toMatchObject({ code: 'HC_ERR_GRAPH_NOT_EXCHANGE_ONLINE' });
    await expect(graph.getMailboxSettings('nobody@contoso.com')).rejects.toMatchObject({ code: 'HC_ERR_GRAPH_MAILBOX_NOT_FOUND' });
  });

  it('access – a revoked admin consent surfaces as consent missing, not as a generic failure', async () => {
    const fresh = new GraphConnections({
      options: graphAccessOptionsSchema.parse({ caPem: sim.caCertPem, graphBaseUrl: sim.graphBaseUrl, authorityHost: sim.authorityUrl, knownAuthorities: [sim.knownAuthority], authorityMetadata: sim.authorityMetadata }),
      clock,
    });
    sim.admin.revokeConsent(TENANT, APP);
    try {
      const g = fresh.forTenant({ tenantId: TENANT, cloud: 'worldwide' }, { clientId: APP, credential: { kind: 'secret', clientSecret: SECRET } });
      await expect(g.getMailboxSettings(ALICE)).rejects.toMatchObject({ code: 'HC_ERR_GRAPH_CONSENT_MISSING' });
      const wrong = fresh.forTenant({ tenantId: TENANT, cloud: 'worldwide' }, { clientId: APP, credential: { kind: 'secret', clientSecret: 'wrong' } });
      sim.admin.grantAdminConsent(TENANT, APP);
      await expect(wrong.getMailboxSettings(ALICE)).rejects.toMatchObject({ code: 'HC_ERR_GRAPH_CREDENTIALS_INVALID' });
    } finally {
      sim.admin.grantAdminConsent(TENANT, APP);
      fresh.close();
    }
  });
});

describe('connector access – certificate credential and the 401 refresh, on a manual clock shared with the simulator', () => {
  const HOUR = 3_600_000;
  const clock = new ManualClock(Date.now());
  let sim: GraphSimulator;
  let connections: GraphConnections;
  let refreshes = 0;
  let certificate: { kind: 'certificate'; privateKeyPem: string; thumbprintSha256: string };

  beforeAll(async () => {
    sim = await startSeeded({ clock });
    // The app's credential is a certificate (any RSA key pair with its X.509 certificate will do).
    const tls = await loadOrCreateTls();
    sim.admin.registerApp({
      appId: APP, displayName: 'Hybrid Calendar', homeTenantId: TENANT, certificates: [tls.certPem], redirectUris: [REDIRECT],
      applicationPermissions: ['Calendars.ReadWrite', 'MailboxSettings.ReadWrite', 'User.Read.All', 'Domain.Read.All'],
    });
    sim.admin.grantAdminConsent(TENANT, APP);
    certificate = { kind: 'certificate', privateKeyPem: tls.keyPem, thumbprintSha256: createHash('sha256').update(new X509Certificate(tls.certPem).raw).digest('hex') };
    connections = new GraphConnections({
      options: graphAccessOptionsSchema.parse({ caPem: sim.caCertPem, graphBaseUrl: sim.graphBaseUrl, authorityHost: sim.authorityUrl, knownAuthorities: [sim.knownAuthority], authorityMetadata: sim.authorityMetadata }),
      clock,
      observer: { tokenRefreshed: () => { refreshes += 1; } },
    });
  });

  afterAll(async () => {
    connections.close();
    await sim.close();
  });

  const tokenCalls = (): number => sim.admin.calls({ pathIncludes: '/oauth2/v2.0/token' }).length;
  const settingsCalls = (): number[] => sim.admin.calls({ pathIncludes: 'mailboxSettings' }).map((c) => c.status);

  it('certificate – client credentials with a client assertion signed by the private key, named by its SHA-256 thumbprint (x5t#S256)', async () => {
    sim.admin.clearCalls();
    const graph = connections.forTenant({ tenantId: TENANT, cloud: 'worldwide' }, { clientId: APP, credential: certificate });
    await expect(graph.getMailboxSettings(ALICE)).resolves.toMatchObject({ timeZone: 'Pacific Standard Time' });
    expect(sim.admin.lastAssertionThumbprint()).toBe('x5t#S256');
    expect(tokenCalls()).toBe(1);
    // The secret is no longer registered, and a certificate the app does not know is refused, typed.
    const bySecret = connections.forTenant({ tenantId: TENANT, cloud: 'worldwide' }, { clientId: APP, credential: { kind: 'secret', clientSecret: SECRET } });
    await expect(bySecret.getMailboxSettings(ALICE)).rejects.toMatchObject({ code: 'HC_ERR_GRAPH_CREDENTIALS_INVALID' });
    const other = connections.forTenant({ tenantId: TENANT, cloud: 'worldwide' }, { clientId: APP, credential: { ...certificate, thumbprintSha256: 'ab'.repeat(32) } });
    await expect(other.getMailboxSettings(ALICE)).rejects.toMatchObject({ code: 'HC_ERR_GRAPH_CREDENTIALS_INVALID' });
  });

  it('certificate – a token Graph refuses once (expired by its clock) is refreshed once and the request retried', async () => {
    const graph = connections.forTenant({ tenantId: TENANT, cloud: 'worldwide' }, { clientId: APP, credential: certificate });
    await graph.getMailboxSettings(ALICE); // a token in msal's cache
    clock.advance(2 * HOUR); // past the token's lifetime for Graph; msal (real clock) still serves it
    sim.admin.clearCalls();
    refreshes = 0;
    await expect(graph.getMailboxSettings(ALICE)).resolves.toMatchObject({ timeZone: 'Pacific Standard Time' });
    expect(settingsCalls()).toEqual([401, 200]);
    expect(tokenCalls()).toBe(1);
    expect(refreshes).toBe(1);
    // The fresh token is reused: no further token request.
    await graph.getMailboxSettings(ALICE);
    expect(tokenCalls()).toBe(1);
  });

  it('certificate – a token refused again after the refresh fails typed after exactly one refresh (no loop)', async () => {
    const graph = connections.forTenant({ tenantId: TENANT, cloud: 'worldwide' }, { clientId: APP, credential: certificate });
    sim.admin.setFaults({ expiredTokens: true });
    sim.admin.clearCalls();
    refreshes = 0;
    try {
      await expect(graph.getMailboxSettings(ALICE)).rejects.toMatchObject({ code: 'HC_ERR_GRAPH_TOKEN_EXPIRED' });
      expect(settingsCalls()).toEqual([401, 401]);
      expect(refreshes).toBe(1);
      expect(tokenCalls()).toBe(1);
    } finally {
      sim.admin.setFaults({ expiredTokens: false });
    }
  });
});
