import type { GraphSimulator } from '@hybrid-calendar/sim-graph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphUnavailableError, type GraphConnections } from '../../../graph/index.js';
import { HTML_BEGIN, WRITEBACK_VIEW } from '../../../processors/writeback/index.js';
import { ALICE, BOB, TENANT, startSeeded } from '../../../sim/graph/test/unit/helpers.js';
import { connect, count, HOUR, iso, meeting, orgSettings, pipe, readBack, rig, SITE } from './sim-fixture.js';

const OBRIEN = '0a0a0a0a-0000-4000-8000-0000000000a5';

describe('writeback – keyword meetings decorated through Graph (simulator)', () => {
  let sim: GraphSimulator;
  let connections: GraphConnections;

  beforeAll(async () => {
    sim = await startSeeded();
    sim.store.addMailbox(TENANT, { id: OBRIEN, userPrincipalName: "o'brien@contoso.com", displayName: "Sean O'Brien", mail: "o'brien@contoso.com", kind: 'user', mailboxEnabled: true, mailboxSettings: {} });
    connections = connect(sim);
  });
  afterAll(async () => {
    connections.close();
    await sim.close();
  });

  function create(location: string, extra: Record<string, unknown> = {}, mailboxId = ALICE): string {
    const start = Date.now() + HOUR;
    return sim.store.createEvent(TENANT, mailboxId, {
      subject: 'Planning', body: { contentType: 'html', content: '<html><body><p>Agenda: budget &amp; plans</p></body></html>' },
      start: iso(start), end: iso(start + HOUR), location: { displayName: location },
      attendees: [{ emailAddress: { address: 'bob@contoso.com', name: 'Bob Brown' }, type: 'required' }],
      ...extra,
    });
  }

  it('writeback – adds the personal room in the mailbox\'s language with the org\'s header, read back through Graph with exactly one block', async () => {
    sim.store.patchMailboxSettings(sim.store.requireMailbox(TENANT, ALICE), { language: { locale: 'de-DE' } });
    const r = rig(sim, connections);
    const id = create('@webex');
    await pipe(r, meeting(id));
    const back = await readBack(r, id);
    expect(count(back.content, HTML_BEGIN)).toBe(1);
    expect(back.content).toContain('Meinem persönlichen Raum beitreten');
    expect(back.content).toContain('Kopfzeile der Firma');
    expect(back.content).toContain(`https://${SITE}/meet/alice`);
    expect(back.content).toContain('<p>Agenda: budget &amp; plans</p>');
    expect(back.content.indexOf(HTML_BEGIN)).toBeLessThan(back.content.indexOf('</body>'));
    expect(JSON.parse(back.marker ?? '{}')).toMatchObject({ st: 'decorated' });
    expect(r.driver.view(WRITEBACK_VIEW, `${TENANT}/${ALICE}/${id}`)).toMatchObject({ status: 'decorated', kind: 'personal-room', language: 'de-DE' });
    expect(r.graph.patches).toBe(1);
    sim.store.patchMailboxSettings(sim.store.requireMailbox(TENANT, ALICE), { language: { locale: 'en-US' } });
  });

  it('writeback – @meet makes a space, :onetime a one-time meeting with number and dial-in, the org can change a keyword\'s action', async () => {
    const r = rig(sim, connections);
    const space = create('@meet');
    await pipe(r, meeting(space, { intent: { provider: 'MEET', modifier: 'NONE' } }));
    expect((await readBack(r, space)).content).toContain(`https://${SITE}/space/`);
    const once = create('@webex:onetime');
    await pipe(r, meeting(once, { intent: { provider: 'WEBEX', modifier: 'ONETIME' } }));
    const back = (await readBack(r, once)).content;
    expect(back).toMatch(/Meeting number: \d{4} \d{3} \d{3}/);
    expect(back).toContain('+1 415 555 0100 (US toll)');
    expect(back).toContain(`https://${SITE}/j.php?MTID=m`);
    r.settings = orgSettings({ webexKeywordAction: 'space' });
    const org = create('@webex');
    await pipe(r, meeting(org));
    expect((await readBack(r, org)).content).toContain(`https://${SITE}/space/`);
    const mod = create('@meet:myroom');
    await pipe(r, meeting(mod, { intent: { provider: 'MEET', modifier: 'MYROOM' } }));
    expect((await readBack(r, mod)).content).toContain(`https://${SITE}/meet/alice`);
  });

  it('writeback – a user editing at the same moment (412) loses nothing: re-read, retried, one block', async () => {
    const r = rig(sim, connections);
    const id = create('@webex');
    r.graph.beforePatch = (eventId, n) => {
      if (n === 0) sim.store.updateEvent(TENANT, ALICE, eventId, { body: { contentType: 'html', content: '<html><body><p>Agenda v2, typed just now</p></body></html>' } });
    };
    await pipe(r, meeting(id));
    const back = await readBack(r, id);
    expect(r.graph.conflicts).toBe(1);
    expect(r.graph.patches).toBe(1);
    expect(back.content).toContain('<p>Agenda v2, typed just now</p>');
    expect(count(back.content, HTML_BEGIN)).toBe(1);
  });

  it('writeback – a storm of duplicated notifications and our own echoes makes exactly one PATCH', async () => {
    const r = rig(sim, connections);
    const id = create('@webex');
    for (let i = 0; i < 30; i += 1) await pipe(r, meeting(id, { version: 1 }));
    for (let v = 2; v < 12; v += 1) await pipe(r, meeting(id, { version: v, providerKind: 'WEBEX' }));
    expect(r.graph.patches).toBe(1);
    expect(count((await readBack(r, id)).content, HTML_BEGIN)).toBe(1);
    // State lost (a replay into a fresh processor): the marker makes it a no-op too.
    const fresh = rig(sim, connections);
    await pipe(fresh, meeting(id, { version: 1 }));
    expect(fresh.graph.patches).toBe(0);
  });

  it('writeback – the keyword removed later takes our block out, leaving the user\'s text byte for byte', async () => {
    const r = rig(sim, connections);
    const id = create('@webex');
    const before = (await readBack(r, id)).content;
    await pipe(r, meeting(id, { version: 1 }));
    await pipe(r, meeting(id, { version: 2, intent: null }));
    const back = await readBack(r, id);
    expect(back.content).toBe(before);
    expect(JSON.parse(back.marker ?? '{}')).toMatchObject({ st: 'removed' });
    expect(r.graph.patches).toBe(2);
  });

  it('writeback – a keyword on one occurrence of a series decorates that occurrence only; a series keyword decorates the series once', async () => {
    const r = rig(sim, connections);
    const start = Date.now() + HOUR;
    const recurrence = { pattern: { type: 'daily', interval: 1 }, range: { type: 'numbered', startDate: new Date(start).toISOString().slice(0, 10), numberOfOccurrences: 5 } };
    const plain = create('Room 4', { recurrence, start: iso(start), end: iso(start + HOUR) });
    const occurrences = sim.store.listInstanceIds(TENANT, ALICE, plain, start - HOUR, start + 6 * 24 * HOUR);
    expect(occurrences.length).toBe(5);
    const one = occurrences[2]!;
    sim.store.updateEvent(TENANT, ALICE, one, { location: { displayName: '@webex' } });
    await pipe(r, meeting(one, { seriesMasterId: plain }));
    expect(count((await readBack(r, one)).content, HTML_BEGIN)).toBe(1);
    expect(count((await readBack(r, plain)).content, HTML_BEGIN)).toBe(0);
    expect(count((await readBack(r, occurrences[1]!)).content, HTML_BEGIN)).toBe(0);

    const series = create('@meet', { recurrence, start: iso(start), end: iso(start + HOUR) });
    const its = sim.store.listInstanceIds(TENANT, ALICE, series, start - HOUR, start + 6 * 24 * HOUR);
    const before = r.graph.patches;
    for (const occ of its) await pipe(r, meeting(occ, { seriesMasterId: series, intent: { provider: 'MEET', modifier: 'NONE' } }));
    expect(r.graph.patches - before).toBe(1);
    expect(count((await readBack(r, series)).content, HTML_BEGIN)).toBe(1);
    // The series edited after decoration (subject, time): no new PATCH, still one block.
    sim.store.updateEvent(TENANT, ALICE, series, { subject: 'Planning (weekly)' });
    for (const occ of its) await pipe(r, meeting(occ, { seriesMasterId: series, version: 5, intent: { provider: 'MEET', modifier: 'NONE' } }));
    expect(r.graph.patches - before).toBe(1);
    expect(count((await readBack(r, series)).content, HTML_BEGIN)).toBe(1);
  });

  it('writeback – a moved meeting keeps its one block and costs no PATCH', async () => {
    const r = rig(sim, connections);
    const id = create('@webex');
    await pipe(r, meeting(id));
    const later = Date.now() + 5 * HOUR;
    sim.store.updateEvent(TENANT, ALICE, id, { start: iso(later), end: iso(later + HOUR) });
    await pipe(r, meeting(id, { version: 2, start: later, end: later + HOUR }));
    expect(r.graph.patches).toBe(1);
    expect(count((await readBack(r, id)).content, HTML_BEGIN)).toBe(1);
  });

  it('writeback – an address with an apostrophe gets its personal room (escaped in HTML)', async () => {
    const r = rig(sim, connections);
    const id = create('@webex', { body: { contentType: 'html', content: "<p>Sean's sync</p>" } }, OBRIEN);
    await pipe(r, meeting(id, { mailboxId: OBRIEN }));
    const back = await readBack(r, id, OBRIEN);
    expect(count(back.content, HTML_BEGIN)).toBe(1);
    expect(back.content).toContain("<p>Sean's sync</p>");
    expect(back.content.indexOf("<p>Sean's sync</p>")).toBeLessThan(back.content.indexOf(HTML_BEGIN));
    expect(back.content).toContain(`href="https://${SITE}/meet/o&#39;brien"`);
    expect(back.content).toContain(`o&#39;brien@${SITE}`);
  });

  it('writeback – a meeting with more than 1,500 invitees (a distribution list) is decorated; only body and marker are written, never attendees', async () => {
    const r = rig(sim, connections);
    const attendees = [
      ...Array.from({ length: 400 }, (_, i) => ({ emailAddress: { address: `guest${i}@fabrikam.example`, name: `Guest ${i}` }, type: 'required' })),
      { emailAddress: { address: 'all-staff@contoso.com', name: 'All staff (1,600)' }, type: 'required' },
    ];
    const id = create('@webex', { attendees });
    await pipe(r, meeting(id, { attendeeCount: 1_600 }));
    const back = await readBack(r, id);
    expect(count(back.content, HTML_BEGIN)).toBe(1);
    expect((back.event['attendees'] as unknown[]).length).toBe(401);
    expect([...r.graph.patchedFields].sort()).toEqual(['body', 'singleValueExtendedProperties']);
  });

  it('writeback – a meeting created in the past is left alone (visible as skipped: past)', async () => {
    const r = rig(sim, connections);
    const start = Date.now() - 3 * HOUR;
    const id = create('@webex', { start: iso(start), end: iso(start + HOUR) });
    await pipe(r, meeting(id, { start, end: start + HOUR }));
    expect(r.graph.patches).toBe(0);
    expect(r.driver.view(WRITEBACK_VIEW, `${TENANT}/${ALICE}/${id}`)).toMatchObject({ status: 'skipped', reason: 'past' });
  });

  it('writeback – nothing is added when the invitation already has join details of that provider, nor to an attendee\'s copy', async () => {
    const r = rig(sim, connections);
    const id = create('@webex', { body: { contentType: 'html', content: `<html><body><a href="https://${SITE}/meet/bob">Join</a></body></html>` } });
    await pipe(r, meeting(id));
    expect(r.graph.patches).toBe(0);
    expect(r.driver.view(WRITEBACK_VIEW, `${TENANT}/${ALICE}/${id}`)).toMatchObject({ status: 'skipped', reason: 'has-join-details' });
    await pipe(r, meeting('attendee-copy', { mailboxId: BOB, isOrganizer: false }));
    expect(r.graph.patches).toBe(0);
  });

  it('writeback – a write that keeps conflicting becomes the meeting\'s failed state and a dead letter, never a silent drop', async () => {
    const r = rig(sim, connections);
    const id = create('@webex');
    let n = 0;
    r.graph.beforePatch = (eventId) => sim.store.updateEvent(TENANT, ALICE, eventId, { subject: `edit ${n++}` });
    await pipe(r, meeting(id));
    expect(r.graph.conflicts).toBe(4);
    expect(r.driver.view(WRITEBACK_VIEW, `${TENANT}/${ALICE}/${id}`)).toMatchObject({ status: 'failed', reason: 'HC_ERR_WRITEBACK_CONFLICT' });
    const letters = r.driver.deadLetters('calendar.meetings.v1');
    expect(letters.length).toBe(1);
    expect(letters[0]!.headers?.['hc-error-code']).toBe('HC_ERR_WRITEBACK_CONFLICT');
    // Its next real change retries and succeeds.
    r.graph.beforePatch = undefined;
    await pipe(r, meeting(id, { version: 2 }));
    expect(count((await readBack(r, id)).content, HTML_BEGIN)).toBe(1);
  });

  it('writeback – an org without a meeting site gets a visible not-configured state and a dead letter, no PATCH', async () => {
    const r = rig(sim, connections, orgSettings({ siteDomain: null }));
    r.settings = { ...r.settings, siteDomain: null };
    const id = create('@webex');
    await pipe(r, meeting(id));
    expect(r.graph.patches).toBe(0);
    expect(r.driver.view(WRITEBACK_VIEW, `${TENANT}/${ALICE}/${id}`)).toMatchObject({ status: 'failed', reason: 'HC_ERR_WRITEBACK_NOT_CONFIGURED' });
    expect(r.driver.deadLetters('calendar.meetings.v1')[0]?.headers?.['hc-processor']).toBe('writeback');
  });

  it('writeback – Graph unavailable for now: the meeting shows retrying with the next attempt, a durable timer retries it and it is decorated once', async () => {
    const r = rig(sim, connections, orgSettings(), { transientRetries: 5, transientRetryMs: 60_000 });
    const id = create('@webex');
    let outage = 2;
    r.graph.beforePatch = () => {
      if (outage > 0) {
        outage -= 1;
        throw new GraphUnavailableError('Graph answered 503 (test)');
      }
    };
    await pipe(r, meeting(id));
    expect(r.driver.view(WRITEBACK_VIEW, `${TENANT}/${ALICE}/${id}`)).toMatchObject({ status: 'retrying', reason: 'HC_ERR_GRAPH_UNAVAILABLE', attempts: 1 });
    expect(r.driver.deadLetters('calendar.meetings.v1')).toEqual([]);
    await r.driver.advanceTime(60_000);
    expect(r.driver.view(WRITEBACK_VIEW, `${TENANT}/${ALICE}/${id}`)).toMatchObject({ status: 'retrying', attempts: 2 });
    await r.driver.advanceTime(120_000);
    expect(r.driver.view(WRITEBACK_VIEW, `${TENANT}/${ALICE}/${id}`)).toMatchObject({ status: 'decorated' });
    expect(r.graph.patches).toBe(1);
    expect(count((await readBack(r, id)).content, HTML_BEGIN)).toBe(1);
    expect(r.driver.deadLetters('calendar.meetings.v1')).toEqual([]);
  });

  it('writeback – an outage that outlasts the retries becomes the meeting\'s failed state and one dead letter, never a silent drop', async () => {
    const r = rig(sim, connections, orgSettings(), { transientRetries: 2, transientRetryMs: 60_000 });
    const id = create('@webex');
    r.graph.beforePatch = () => {
      throw new GraphUnavailableError('Graph answered 503 (test)');
    };
    await pipe(r, meeting(id));
    await r.driver.advanceTime(60_000);
    await r.driver.advanceTime(120_000);
    expect(r.driver.view(WRITEBACK_VIEW, `${TENANT}/${ALICE}/${id}`)).toMatchObject({ status: 'failed', reason: 'HC_ERR_GRAPH_UNAVAILABLE' });
    const letters = r.driver.deadLetters('calendar.meetings.v1');
    expect(letters.length).toBe(1);
    expect(letters[0]!.headers?.['hc-error-code']).toBe('HC_ERR_GRAPH_UNAVAILABLE');
    expect(r.driver.timers(`${TENANT}/${ALICE}`)).toEqual([]);
    expect(r.graph.patches).toBe(0);
  });
});
