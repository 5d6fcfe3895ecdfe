import { recordKeyOf, type Keyring } from '../../../kms/index.js';
import { unsealRawEvent } from '../../../records/index.js';
import type { InputRecord, Processor, ProcessorContext } from '../../../runtime/contract.js';
import type { ParsedMeeting, RawCalendarRecord, ResponseStatus } from '../../../schemas/index.js';
import { standInParse, StandInParseError } from '../../support/parse-standin.js';

/**
 * The parse slot of the meetings topology for the pipeline tests, until processors/parse lands: the
 * shared stand-in (test/support/parse-standin.ts) plus what the meeting model needs beyond it —
 * deletions become REMOVE records (version = fetch time; a series master's deletion retracts its
 * occurrences downstream), series masters are skipped (occurrences come from Graph's instances),
 * the mailbox owner's response, and the `@webex` / `@meet` keyword in Location as an intent.
 */
const RESPONSES: Readonly<Record<string, ResponseStatus>> = {
  none: 'NONE', organizer: 'ORGANIZER', tentativelyAccepted: 'TENTATIVELY_ACCEPTED', accepted: 'ACCEPTED', declined: 'DECLINED', notResponded: 'NOT_RESPONDED',
};

interface GraphExtras {
  type?: string;
  responseStatus?: { response?: string };
  location?: { displayName?: string };
}

export function removal(raw: RawCalendarRecord): ParsedMeeting {
  return {
    tenantId: raw.tenantId, mailboxId: raw.mailboxId, meetingId: raw.eventId, seriesMasterId: null, version: raw.fetchedAt, op: 'REMOVE',
    start: 0, end: 0, isAllDay: false, isCancelled: false, isPrivate: false, isOrganizer: false, showAs: 'UNKNOWN', providerKind: 'NONE',
    intent: null, attendeeCount: 0, roomMailboxIds: [], sourceFetchedAt: raw.fetchedAt, responseStatus: 'NONE',
    sensitive: { subject: null, body: null, location: null, organizer: null, attendees: [], joinDetails: null },
  };
}

export function pipelineParse(raw: RawCalendarRecord, event: GraphExtras): ParsedMeeting | null {
  if (event.type === 'seriesMaster') return null;
  const parsed = standInParse(raw, event);
  const keyword = /@(webex|meet)\b/i.exec(event.location?.displayName ?? '');
  return {
    ...parsed,
    responseStatus: RESPONSES[event.responseStatus?.response ?? 'none'] ?? 'NONE',
    intent: keyword === null ? null : { provider: keyword[1]!.toLowerCase() === 'webex' ? 'WEBEX' : 'MEET', modifier: 'NONE' },
  };
}

export function createPipelineParseStandIn(options: { keyring: Keyring }): Processor<RawCalendarRecord, never> {
  return {
    name: 'parse-standin',
    stateful: false,
    async process(record: InputRecord<RawCalendarRecord>, ctx: ProcessorContext<never>): Promise<void> {
      const raw = record.value;
      if (record.key !== recordKeyOf(raw.tenantId, raw.mailboxId)) throw new StandInParseError('parse stand-in: the record key is not tenantId/mailboxId of its value.');
      if (raw.changeType === 'DELETED' || raw.sealed === null) return ctx.forward(removal(raw));
      const parsed = pipelineParse(raw, (await unsealRawEvent<GraphExtras>(options.keyring, raw))!);
      if (parsed !== null) ctx.forward(parsed);
    },
  };
}
