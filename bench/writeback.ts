import { startGraphSimulator, seedBasicTenant } from '@hybrid-calendar/sim-graph';
import { ManualClock, systemClock } from '../common/index.js';
import { GraphConnections, graphAccessOptionsSchema, type GraphAccess } from '../graph/index.js';
import { createLogger } from '../common/index.js';
import { BuiltinMeetingProvider, createWritebackProcessor, HTML_BEGIN, MARKER_PROPERTY_ID, normalizeSettings, type WritebackState } from '../processors/writeback/index.js';
import type { InputRecord, ProcessorContext } from '../runtime/index.js';
import type { MeetingOccurrence } from '../schemas/index.js';
import type { BenchOptions, BenchReport } from './report.js';

/**
 * Write-back latency: a keyword meeting's record arriving at the processor (what a change
 * notification becomes after the connector, parse and encrypt) → its join block visible through
 * Graph (a GET that finds the block), over 1,000 keyword meetings of 50 mailboxes, against the
 * Graph simulator over HTTPS. Baseline in the same run: a plain GET + If-Match PATCH + GET of the
 * same kind of event through the same access module (the least a write-back can cost). The
 * processor is called with an in-memory context (state per mailbox kept in a map), so Kafka, the
 * connector's hops and the runtime's flush are not in these numbers (see `bench pipeline`).
 */
function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

export async function run(options: BenchOptions): Promise<BenchReport> {
  const meetings = options.quick ? 100 : 1_000;
  const sim = await startGraphSimulator({ clouds: ['worldwide'] });
  const seeded = seedBasicTenant(sim, { users: 50, rooms: 0, seed: 15 });
  const mailboxes = [...sim.store.listMailboxes(seeded.tenantId)];
  const connections = new GraphConnections({
    options: graphAccessOptionsSchema.parse({ caPem: sim.caCertPem, graphBaseUrl: sim.graphBaseUrl, authorityHost: sim.authorityUrl, knownAuthorities: [sim.knownAuthority], authorityMetadata: sim.authorityMetadata }),
    clock: systemClock,
  });
  const graph: GraphAccess = connections.forTenant({ tenantId: seeded.tenantId, cloud: 'worldwide' }, { clientId: seeded.appId, credential: { kind: 'secret', clientSecret: seeded.clientSecret } });
  const settings = normalizeSettings({ siteDomain: 'bench.webex.com' }, undefined);
  const processor = createWritebackProcessor({
    graph: { graphFor: () => Promise.resolve(graph) }, settings: { settingsOf: () => Promise.resolve(settings) },
    provider: new BuiltinMeetingProvider(), maxConflictRetries: 5, profileCacheMs: 600_000,
  });
  const states = new Map<string, WritebackState>();
  const clock = new ManualClock(Date.now());
  const logger = createLogger({ name: 'bench-writeback', level: 'silent' });
  const context = (key: string): ProcessorContext<WritebackState> => ({
    key, clock, logger,
    metrics: { increment: () => undefined, observe: () => undefined },
    state: { get: () => states.get(key), set: (v) => states.set(key, v), delete: () => states.delete(key) },
    views: { upsert: () => undefined, remove: () => undefined },
    emit: () => undefined, emitRaw: () => undefined, forward: () => undefined, schedule: () => '', cancel: () => undefined,
  });
  const start = Date.now() + 3_600_000;
  const create = (mailbox: string, location: string): string => sim.store.createEvent(seeded.tenantId, mailbox, {
    subject: 'Bench', body: { contentType: 'html', content: '<html><body><p>agenda</p></body></html>' },
    start: { dateTime: new Date(start).toISOString().slice(0, 19), timeZone: 'UTC' }, end: { dateTime: new Date(start + 1_800_000).toISOString().slice(0, 19), timeZone: 'UTC' },
    location: { displayName: location },
  });
  try {
    // Baseline: GET (with the marker) + PATCH If-Match + GET back, the same events' shape.
    const base: number[] = [];
    const baseCount = Math.min(meetings, 300);
    for (let i = 0; i < baseCount; i += 1) {
      const mailbox = mailboxes[i % mailboxes.length]!;
      const id = create(mailbox, 'Room 1');
      const t0 = performance.now();
      const read = await graph.getEventWithProperty(mailbox, id, ['body'], MARKER_PROPERTY_ID);
      await graph.patchEventIfMatch(mailbox, id, read.etag, { body: { contentType: 'html', content: '<p>agenda</p><p>join</p>' } });
      await graph.getEventWithProperty(mailbox, id, ['body'], MARKER_PROPERTY_ID);
      base.push(performance.now() - t0);
      options.progress(i + 1, baseCount + meetings, 'baseline GET+PATCH+GET');
    }
    const lat: number[] = [];
    let visible = 0;
    const t = performance.now();
    for (let i = 0; i < meetings; i += 1) {
      const mailbox = mailboxes[i % mailboxes.length]!;
      const id = create(mailbox, '@webex');
      const m: MeetingOccurrence = {
        tenantId: seeded.tenantId, mailboxId: mailbox, meetingId: id, seriesMasterId: null, version: 1, op: 'UPSERT', start, end: start + 1_800_000,
        isAllDay: false, isCancelled: false, isPrivate: false, isOrganizer: true, showAs: 'BUSY', providerKind: 'NONE', intent: { provider: 'WEBEX', modifier: 'NONE' },
        attendeeCount: 0, roomMailboxIds: [], keyRef: { keyId: 'k', version: 1 }, subject: null, body: null, location: null, organizer: null, attendees: null, joinDetails: null,
        sourceFetchedAt: Date.now(), responseStatus: 'ORGANIZER',
      };
      const t0 = performance.now();
      const key = `${m.tenantId}/${mailbox}`;
      const record: InputRecord<MeetingOccurrence> = { topic: 'calendar.meetings.v1', partition: 0, offset: String(i), key, value: m, raw: null, headers: {}, timestamp: Date.now() };
      await processor.process(record, context(key));
      const back = await graph.getEventWithProperty(mailbox, id, ['body'], MARKER_PROPERTY_ID);
      lat.push(performance.now() - t0);
      if (String((back.event['body'] as { content?: string } | undefined)?.content ?? '').includes(HTML_BEGIN)) visible += 1;
      options.progress(baseCount + i + 1, baseCount + meetings, 'keyword meetings');
    }
    const seconds = (performance.now() - t) / 1000;
    base.sort((a, b) => a - b);
    lat.sort((a, b) => a - b);
    const baseSeconds = base.reduce((a, b) => a + b, 0) / 1000;
    return {
      name: 'writeback',
      rows: [
        { case: 'baseline: GET + PATCH If-Match + GET (simulator, HTTPS)', opsPerSec: base.length / baseSeconds, p50Ms: pct(base, 0.5), p99Ms: pct(base, 0.99) },
        {
          case: 'writeback: record → join block visible through Graph', opsPerSec: meetings / seconds, baseline: 'baseline: GET + PATCH If-Match + GET (simulator, HTTPS)',
          p50Ms: pct(lat, 0.5), p99Ms: pct(lat, 0.99), note: `${visible}/${meetings} blocks visible on the first read-back; ${mailboxes.length} mailboxes`,
        },
      ],
    };
  } finally {
    connections.close();
    await sim.close();
  }
}
