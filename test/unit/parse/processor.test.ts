import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/clock.js';
import { Keyring, MemoryDataKeyStore, MemoryTenantKeyStore, TenantKeyVault, recordKeyOf } from '../../../kms/index.js';
import { sealRawEvent } from '../../../records/index.js';
import { defineMeetingsTopology } from '../../../app/index.js';
import { decryptMeeting, encryptMeeting, toParsedMeeting as validateParsed } from '../../../processors/encrypt/index.js';
import { createParseProcessor, ParseInputError } from '../../../processors/parse/index.js';
import type { InputRecord, ProcessorContext } from '../../../runtime/contract.js';
import type { ParsedMeeting, RawCalendarRecord } from '../../../schemas/index.js';

function keyring(): Keyring {
  const clock = new ManualClock(Date.UTC(2026, 2, 1));
  const vault = new TenantKeyVault({ masterKey: randomBytes(32), store: new MemoryTenantKeyStore(), clock });
  return new Keyring({ store: new MemoryDataKeyStore(), providers: { cloud: vault }, clock, options: { reserveBlock: 1024 } });
}

const teams = 'https://teams.microsoft.com/l/meetup-join/19%3ameeting_QUJD%40thread.v2/0?context=%7b%22Tid%22%3a%22t%22%7d';
const event = {
  id: 'evt-1',
  subject: 'Planning',
  body: { contentType: 'html', content: `<p>Backup: <a href="https://zoom.us/j/91234567890">zoom</a></p>` },
  start: { dateTime: '2026-03-02T09:00:00.0000000', timeZone: 'W. Europe Standard Time' },
  end: { dateTime: '2026-03-02T09:30:00.0000000', timeZone: 'W. Europe Standard Time' },
  lastModifiedDateTime: '2026-03-01T10:00:00Z',
  location: { displayName: 'Room 5; @webex:myroom' },
  onlineMeeting: { joinUrl: teams },
  organizer: { emailAddress: { name: 'Kari', address: 'kari@fabrikam.com' } },
  attendees: [{ type: 'resource', emailAddress: { name: 'Room 5', address: 'room5@fabrikam.com' }, status: { response: 'accepted' } }],
};

async function run(record: RawCalendarRecord, ring: Keyring): Promise<ParsedMeeting[]> {
  const forwarded: ParsedMeeting[] = [];
  const ctx = {
    key: recordKeyOf(record.tenantId, record.mailboxId),
    forward: (value: unknown) => forwarded.push(value as ParsedMeeting),
    metrics: { increment: () => undefined },
    logger: { debug: () => undefined },
  } as unknown as ProcessorContext<never>;
  const input: InputRecord<RawCalendarRecord> = { topic: 'calendar.raw.v1', partition: 0, offset: '0', key: ctx.key, value: record, raw: null, headers: {}, timestamp: 0 };
  await createParseProcessor({ keyring: ring }).process(input, ctx);
  return forwarded;
}

describe('parse – the processor', () => {
  it('parse – unseals a raw event and forwards a ParsedMeeting that encrypt accepts, with intent, join details and local times in UTC', async () => {
    const ring = keyring();
    const raw = await sealRawEvent(ring, { tenantId: 't1', mailboxId: 'm1', eventId: 'evt-1', changeType: 'CREATED', source: 'DELTA', fetchedAt: 7, event });
    const [parsed] = await run(raw, ring);
    expect(parsed).toMatchObject({
      meetingId: 'evt-1',
      op: 'UPSERT',
      start: Date.UTC(2026, 2, 2, 8),
      end: Date.UTC(2026, 2, 2, 8, 30),
      providerKind: 'TEAMS',
      intent: { provider: 'WEBEX', modifier: 'MYROOM' },
      attendeeCount: 1,
      version: Date.UTC(2026, 2, 1, 10),
    });
    expect(parsed!.sensitive.joinDetails).toMatchObject({ provider: 'TEAMS', url: teams, foundIn: 'onlineMeeting', service: 'teams', alternatives: [{ service: 'zoom', url: 'https://zoom.us/j/91234567890' }] });
    // encrypt's input check keeps the new join detail fields, and they survive encryption.
    const valid = validateParsed(parsed);
    expect(valid.sensitive.joinDetails?.alternatives).toHaveLength(1);
    const decrypted = await decryptMeeting(await encryptMeeting(valid, ring), ring);
    expect(decrypted.joinDetails?.reason).toContain('Microsoft Teams');
    // Nothing sensitive in the plaintext part.
    const { sensitive: _s, ...plain } = parsed!;
    for (const secret of ['Planning', 'kari@fabrikam.com', 'room5@fabrikam.com', 'zoom.us', 'teams.microsoft.com']) expect(JSON.stringify(plain)).not.toContain(secret);
  });

  it('parse – a deleted event forwards a removal; a foreign record key or event id is refused without values in the message', async () => {
    const ring = keyring();
    const deleted: RawCalendarRecord = { tenantId: 't1', mailboxId: 'm1', eventId: 'evt-9', changeType: 'DELETED', source: 'NOTIFICATION', fetchedAt: 9, sealed: null };
    expect(await run(deleted, ring)).toMatchObject([{ op: 'REMOVE', meetingId: 'evt-9', sensitive: { joinDetails: null } }]);
    const other = await sealRawEvent(ring, { tenantId: 't1', mailboxId: 'm1', eventId: 'evt-2', changeType: 'CREATED', source: 'DELTA', fetchedAt: 7, event });
    const error = await run(other, ring).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParseInputError);
    expect((error as Error).message).not.toContain('Planning');
  });

  it('parse – fills the parse slot of the meetings topology', () => {
    const ring = keyring();
    const topology = defineMeetingsTopology({ parse: createParseProcessor({ keyring: ring }), keyring: ring });
    expect(topology.stages.map((stage) => stage.name)).toEqual(['parse', 'encrypt']);
    expect(topology.stages[0]!.stateful).toBe(false);
  });
});
