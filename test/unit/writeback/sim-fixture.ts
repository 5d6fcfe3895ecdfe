import type { GraphSimulator } from '@hybrid-calendar/sim-graph';
import { ManualClock } from '../../../common/clock.js';
import { GraphConflictError, type GraphAccess, type GraphConnections } from '../../../graph/index.js';
import {
  BuiltinMeetingProvider, defineWritebackTopology, MARKER_PROPERTY_ID, normalizeSettings,
  type WritebackGraph, type WritebackOrgSettings,
} from '../../../processors/writeback/index.js';
import { TopologyTestDriver } from '../../../runtime/testing/index.js';
import type { MeetingOccurrence } from '../../../schemas/index.js';
import { ALICE, APP, SECRET, TENANT } from '../../../sim/graph/test/unit/helpers.js';
import { simConnections } from '../connector/helpers.js';
import { occurrence } from '../model/fixtures.js';

export const SITE = 'contoso.webex.com';
export const MIN = 60_000;
export const HOUR = 60 * MIN;

/** Graph for the tests: counts PATCHes and lets a test act just before one (a user editing at that moment). */
export class RecordingGraph implements WritebackGraph {
  patches = 0;
  conflicts = 0;
  readonly patchedFields = new Set<string>();
  beforePatch: ((eventId: string, n: number) => void) | undefined;
  constructor(readonly inner: GraphAccess) {}
  getEventWithProperty(...args: Parameters<GraphAccess['getEventWithProperty']>): ReturnType<GraphAccess['getEventWithProperty']> {
    return this.inner.getEventWithProperty(...args);
  }
  async patchEventIfMatch(mailboxId: string, eventId: string, etag: string, patch: Record<string, unknown>): ReturnType<GraphAccess['patchEventIfMatch']> {
    this.beforePatch?.(eventId, this.patches + this.conflicts);
    for (const k of Object.keys(patch)) this.patchedFields.add(k);
    try {
      const out = await this.inner.patchEventIfMatch(mailboxId, eventId, etag, patch);
      this.patches += 1;
      return out;
    } catch (error) {
      if (error instanceof GraphConflictError) this.conflicts += 1;
      throw error;
    }
  }
  getMailboxSettings(mailboxId: string): Promise<Record<string, unknown>> {
    return this.inner.getMailboxSettings(mailboxId);
  }
  getUser(id: string): ReturnType<GraphAccess['getUser']> {
    return this.inner.getUser(id);
  }
}

export interface Rig {
  readonly driver: TopologyTestDriver;
  readonly graph: RecordingGraph;
  settings: WritebackOrgSettings;
}

export function orgSettings(doc: Record<string, unknown> = {}): WritebackOrgSettings {
  return normalizeSettings({
    siteDomain: SITE, dialIn: { number: '+1 415 555 0100', label: 'US toll' },
    joinBlock: { 'de-DE': { header: 'Kopfzeile der Firma', footer: 'Fußzeile' }, en: { header: "Contoso's header", footer: 'Contoso footer' } },
    ...doc,
  }, undefined);
}

export function rig(sim: GraphSimulator, connections: GraphConnections, settings = orgSettings(), retries: { transientRetries?: number; transientRetryMs?: number } = {}): Rig {
  const access = connections.forTenant({ tenantId: TENANT, cloud: 'worldwide' }, { clientId: APP, credential: { kind: 'secret', clientSecret: SECRET } });
  const graph = new RecordingGraph(access);
  const holder: Rig = {
    graph, settings,
    driver: new TopologyTestDriver(defineWritebackTopology({
      graph: { graphFor: () => Promise.resolve(graph) },
      settings: { settingsOf: () => Promise.resolve(holder.settings) },
      provider: new BuiltinMeetingProvider(),
      maxConflictRetries: 3,
      profileCacheMs: 0,
      ...retries,
    }), { clock: new ManualClock(Date.now()) }),
  };
  void sim;
  return holder;
}

export function connect(sim: GraphSimulator): GraphConnections {
  return simConnections(sim, new ManualClock(Date.now()), { sleep: () => Promise.resolve() });
}

/** A keyword meeting record of `mailboxId` for an event of the simulator. */
export function meeting(eventId: string, overrides: Partial<MeetingOccurrence> = {}): MeetingOccurrence {
  return occurrence({
    tenantId: TENANT, mailboxId: ALICE, meetingId: eventId, isOrganizer: true, providerKind: 'NONE', joinDetails: null,
    intent: { provider: 'WEBEX', modifier: 'NONE' }, start: Date.now() + HOUR, end: Date.now() + 2 * HOUR, version: 1, ...overrides,
  });
}

export async function pipe(r: Rig, m: MeetingOccurrence): Promise<void> {
  await r.driver.pipeInput('calendar.meetings.v1', `${m.tenantId}/${m.mailboxId}`, m);
}

export function iso(ms: number): { dateTime: string; timeZone: string } {
  return { dateTime: new Date(ms).toISOString().slice(0, 19), timeZone: 'UTC' };
}

/** The event as Graph answers it now: body content and our marker. */
export async function readBack(r: Rig, eventId: string, mailboxId = ALICE): Promise<{ content: string; type: string; marker: string | null; event: Record<string, unknown> }> {
  const read = await r.graph.inner.getEventWithProperty(mailboxId, eventId, ['body', 'attendees', 'type'], MARKER_PROPERTY_ID);
  const body = read.event['body'] as { content: string; contentType: string };
  return { content: body.content, type: body.contentType, marker: read.property, event: read.event };
}

export function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}
