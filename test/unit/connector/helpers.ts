import { randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import { ManualClock, type Clock } from '../../../common/clock.js';
import { GraphConnections, MongoTokenCacheStore, type Sleep } from '../../../graph/index.js';
import { graphAccessOptionsSchema } from '../../../graph/index.js';
import { Keyring, MemoryDataKeyStore, MemoryTenantKeyStore, TenantKeyVault } from '../../../kms/index.js';
import type { GraphSimulator } from '@hybrid-calendar/sim-graph';
import { systemClock } from '../../../common/clock.js';
import { buildWebhookApp } from '../../../connectors/graph/webhook/index.js';
import { loadOrCreateTls } from '../../../sim/graph/tls/index.js';
import { createMailboxProcessor, type MailboxActorDeps, type MailboxState } from '../../../connectors/graph/mailbox/index.js';
import { defineTopology } from '../../../runtime/index.js';
import { TopologyTestDriver } from '../../../runtime/testing/index.js';
import type { GraphNotification, RawCalendarRecord, RawMailboxSettings } from '../../../schemas/index.js';
import { ALICE, TENANT } from '../../../sim/graph/test/unit/helpers.js';

/** A keyring over in-memory key stores (the tests check sealing, not key storage). */
export function testKeyring(clock: Clock = new ManualClock()): Keyring {
  const vault = new TenantKeyVault({ masterKey: randomBytes(32), store: new MemoryTenantKeyStore(), clock });
  return new Keyring({ store: new MemoryDataKeyStore(), providers: { cloud: vault }, clock });
}

/** The connector's Graph access pointed at the simulator through explicit options only. */
export function simConnections(sim: GraphSimulator, clock: Clock, extra: { db?: Db; keyring?: Keyring; sleep?: Sleep; maxWaitMs?: number } = {}): GraphConnections {
  return new GraphConnections({
    options: graphAccessOptionsSchema.parse({
      caPem: sim.caCertPem, graphBaseUrl: sim.graphBaseUrl, authorityHost: sim.authorityUrl,
      knownAuthorities: [sim.knownAuthority], authorityMetadata: sim.authorityMetadata,
      ...(extra.maxWaitMs === undefined ? {} : { maxWaitMs: extra.maxWaitMs }),
    }),
    clock,
    ...(extra.sleep === undefined ? {} : { sleep: extra.sleep }),
    ...(extra.db !== undefined && extra.keyring !== undefined ? { tokenCache: new MongoTokenCacheStore(extra.db, extra.keyring, clock) } : {}),
  });
}

/** A webhook that answers Graph's validation handshake and drops every notification (the timer tests need none). */
export async function startHookStub(): Promise<{ url: string; close: () => Promise<void> }> {
  const tls = await loadOrCreateTls();
  const app = buildWebhookApp({
    options: { path: '/hook', bodyLimitBytes: 1 << 20, maxRequestsPerSecond: 1000, maxItemsPerRequest: 1000 },
    lookup: { route: () => Promise.resolve(undefined) },
    sink: { send: () => Promise.resolve() },
    clock: systemClock, https: { key: tls.keyPem, cert: tls.certPem },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { url: `https://localhost:${(app.server.address() as { port: number }).port}/hook`, close: () => app.close() };
}

const INPUT = 'graph.notifications.v1';

/** The mailbox actor alone in a topology on the runtime's real executor (in memory, manual clock). */
export function mailboxDriver(deps: MailboxActorDeps, clock: ManualClock): TopologyTestDriver {
  const topology = defineTopology({ name: 'connector-mailboxes-unit', inputs: [{ topic: INPUT }], stages: [createMailboxProcessor(deps)], outputs: ['calendar.raw.v1', 'mailbox.settings.raw.v1'] });
  return new TopologyTestDriver(topology, { clock });
}

/** Reads a driver the way the tests ask: the actor's state, raw records, settings records and views. */
export class MailboxProbe {
  constructor(readonly driver: TopologyTestDriver, readonly key: string) {}
  get state(): MailboxState | undefined {
    return this.driver.state<MailboxState>(this.key, 'graph-mailbox');
  }
  raw(): RawCalendarRecord[] {
    return this.driver.outputs('calendar.raw.v1').filter((o) => o.key === this.key).map((o) => o.value as RawCalendarRecord);
  }
  settings(): RawMailboxSettings[] {
    return this.driver.outputs('mailbox.settings.raw.v1').filter((o) => o.key === this.key).map((o) => o.value as RawMailboxSettings);
  }
  /** A view document without the runtime's `_id`/`v`, or null when removed (or never written). */
  view(collection: string, id: string): Record<string, unknown> | null {
    const doc = this.driver.view(collection, id);
    if (doc === undefined || doc['deleted'] === true) return null;
    const { _id: _i, v: _v, ...rest } = doc;
    return rest;
  }
  process(n: GraphNotification): Promise<void> {
    return this.driver.pipeInput(INPUT, this.key, n);
  }
}

export function command(c: GraphNotification['command']): GraphNotification {
  return { tenantId: TENANT, mailboxId: ALICE, kind: 'COMMAND', changeType: 'NONE', lifecycleEvent: 'NONE', command: c, subscriptionId: null, eventId: null, changeKey: null, receivedAt: 0 };
}
