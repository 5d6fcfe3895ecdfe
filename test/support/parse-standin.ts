import { z } from 'zod';
import { HcError } from '../../common/errors.js';
import { recordKeyOf, type Keyring } from '../../kms/index.js';
import { unsealRawEvent } from '../../records/index.js';
import type { InputRecord, Processor, ProcessorContext } from '../../runtime/contract.js';
import type { MeetingSensitiveFields, ParsedMeeting, RawCalendarRecord } from '../../schemas/index.js';

/**
 * TEST STAND-IN for processors/parse, until the real parse processor lands. It fills the parse slot
 * of `defineMeetingsTopology` (app/topologies.ts) so the encrypt stage can be proven
 * on the real actor runtime. It is deliberately minimal and is NOT the parse processor:
 *
 * - unseals the Graph event of a `calendar.raw.v1` value in memory (`unsealRawEvent`);
 * - maps a single (non-recurring) Graph event with UTC times to a ParsedMeeting: subject,
 *   body.content, location.displayName, organizer, attendees (response from status), isAllDay,
 *   isCancelled, sensitivity private/confidential → isPrivate, showAs, isOrganizer, seriesMasterId,
 *   version = lastModifiedDateTime in ms;
 * - join details: onlineMeeting.joinUrl (TEAMS), else the first https://…webex.com/… URL in the
 *   location, then in the body (WEBEX); no keyword intents, no rules, no Safe Links unwrapping;
 * - room mailboxes are not resolved (`roomMailboxIds: []`);
 * - deletions and non-UTC times are refused (a stand-in limitation, not a design).
 *
 * It keeps a tiny per-key state (events parsed) so the runtime writes state documents, which the
 * canary scan then covers. Failures are permanent `StandInParseError`s whose messages name paths and
 * problem kinds only, never values.
 */
export const STANDIN_PARSE_NAME = 'parse-standin';

export class StandInParseError extends HcError {
  constructor(message: string) {
    super('HC_ERR_TEST_PARSE_STANDIN', message);
  }
}

const emailAddress = z.object({ name: z.string().optional(), address: z.string().min(1) });
const utcTime = z.object({ dateTime: z.string().min(1), timeZone: z.literal('UTC') });

export const standInGraphEventSchema = z.object({
  id: z.string().min(1),
  subject: z.string().nullable().optional(),
  body: z.object({ contentType: z.enum(['text', 'html']), content: z.string() }).optional(),
  start: utcTime,
  end: utcTime,
  isAllDay: z.boolean().optional(),
  isCancelled: z.boolean().optional(),
  isOrganizer: z.boolean().optional(),
  sensitivity: z.enum(['normal', 'personal', 'private', 'confidential']).optional(),
  showAs: z.enum(['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown']).optional(),
  seriesMasterId: z.string().min(1).nullable().optional(),
  lastModifiedDateTime: z.string().min(1),
  location: z.object({ displayName: z.string().optional() }).optional(),
  organizer: z.object({ emailAddress }).optional(),
  attendees: z
    .array(
      z.object({
        type: z.enum(['required', 'optional', 'resource']),
        emailAddress,
        status: z.object({ response: z.enum(['none', 'organizer', 'tentativelyAccepted', 'accepted', 'declined', 'notResponded']) }).optional(),
      }),
    )
    .optional(),
  onlineMeeting: z.object({ joinUrl: z.string().nullable().optional() }).nullable().optional(),
});

export type StandInGraphEvent = z.input<typeof standInGraphEventSchema>;

const SHOW_AS = { free: 'FREE', tentative: 'TENTATIVE', busy: 'BUSY', oof: 'OOF', workingElsewhere: 'WORKING_ELSEWHERE', unknown: 'UNKNOWN' } as const;
const WEBEX_URL = /https:\/\/[A-Za-z0-9.-]*webex\.com\/[^\s"'<>]*/;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?$/;

function utcMs(dateTime: string, path: string): number {
  const match = ISO.exec(dateTime);
  // Graph's 7 fraction digits are more than Date.parse takes: keep milliseconds.
  const ms = match === null ? Number.NaN : Date.parse(`${dateTime.replace(/(\.\d{3})\d+/, '$1').replace(/(Z|[+-]\d{2}:\d{2})$/, '')}${match[1] ?? 'Z'}`);
  if (!Number.isFinite(ms)) throw new StandInParseError(`parse stand-in: ${path} is not a date-time.`);
  return ms;
}

function joinDetails(event: z.output<typeof standInGraphEventSchema>): MeetingSensitiveFields['joinDetails'] {
  const teams = event.onlineMeeting?.joinUrl;
  if (typeof teams === 'string' && teams !== '') return { provider: 'TEAMS', url: teams, sipUri: null, meetingNumber: null, foundIn: 'onlineMeeting' };
  const inLocation = WEBEX_URL.exec(event.location?.displayName ?? '');
  if (inLocation !== null) return { provider: 'WEBEX', url: inLocation[0], sipUri: null, meetingNumber: null, foundIn: 'location' };
  const inBody = WEBEX_URL.exec(event.body?.content ?? '');
  if (inBody !== null) return { provider: 'WEBEX', url: inBody[0], sipUri: null, meetingNumber: null, foundIn: 'body' };
  return null;
}

/** Graph event JSON (already unsealed) → ParsedMeeting, as the stand-in understands it. */
export function standInParse(raw: RawCalendarRecord, unsealed: unknown): ParsedMeeting {
  const result = standInGraphEventSchema.safeParse(unsealed);
  if (!result.success) {
    const problems = result.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.code}`);
    throw new StandInParseError(`parse stand-in: the Graph event cannot be parsed (${problems.join('; ')}).`);
  }
  const event = result.data;
  if (event.id !== raw.eventId) throw new StandInParseError('parse stand-in: the sealed event id differs from the record event id.');
  const join = joinDetails(event);
  const attendees = (event.attendees ?? []).map((a) => ({
    name: a.emailAddress.name ?? null,
    address: a.emailAddress.address,
    type: a.type,
    response: a.status?.response ?? 'none',
  }));
  return {
    tenantId: raw.tenantId,
    mailboxId: raw.mailboxId,
    meetingId: raw.eventId,
    seriesMasterId: event.seriesMasterId ?? null,
    version: utcMs(event.lastModifiedDateTime, 'lastModifiedDateTime'),
    op: 'UPSERT',
    start: utcMs(event.start.dateTime, 'start.dateTime'),
    end: utcMs(event.end.dateTime, 'end.dateTime'),
    isAllDay: event.isAllDay ?? false,
    isCancelled: event.isCancelled ?? false,
    isPrivate: event.sensitivity === 'private' || event.sensitivity === 'confidential',
    isOrganizer: event.isOrganizer ?? false,
    showAs: SHOW_AS[event.showAs ?? 'unknown'],
    providerKind: join?.provider ?? 'NONE',
    intent: null,
    attendeeCount: attendees.length,
    roomMailboxIds: [],
    sourceFetchedAt: raw.fetchedAt,
    sensitive: {
      subject: event.subject ?? null,
      body: event.body?.content ?? null,
      location: event.location?.displayName === undefined || event.location.displayName === '' ? null : event.location.displayName,
      organizer: event.organizer === undefined ? null : { name: event.organizer.emailAddress.name ?? null, address: event.organizer.emailAddress.address },
      attendees,
      joinDetails: join,
    },
  };
}

interface StandInState {
  readonly parsed: number;
}

/** The stand-in as a runtime stage: unseal in memory, parse, `forward` the ParsedMeeting. */
export function createStandInParseProcessor(options: { keyring: Keyring }): Processor<RawCalendarRecord, StandInState> {
  return {
    name: STANDIN_PARSE_NAME,
    async process(record: InputRecord<RawCalendarRecord>, ctx: ProcessorContext<StandInState>): Promise<void> {
      const raw = record.value;
      if (record.key !== recordKeyOf(raw.tenantId, raw.mailboxId)) {
        throw new StandInParseError('parse stand-in: the record key is not tenantId/mailboxId of its value.');
      }
      if (raw.changeType === 'DELETED' || raw.sealed === null) throw new StandInParseError('parse stand-in: deletions are not handled by the stand-in.');
      const event = await unsealRawEvent(options.keyring, raw);
      const parsed = standInParse(raw, event);
      ctx.state.set({ parsed: (ctx.state.get()?.parsed ?? 0) + 1 });
      ctx.forward(parsed);
    },
  };
}
