import { recordKeyOf, type Keyring } from '../../kms/index.js';
import { unsealRawEvent } from '../../records/index.js';
import type { InputRecord, Processor, ProcessorContext } from '../../runtime/index.js';
import type { RawCalendarRecord } from '../../schemas/index.js';
import { ParseInputError } from './errors.js';
import { isSeriesMaster, removedMeeting, toParsedMeeting } from './meeting.js';
import { parseOptionsSchema, type ParseOptions } from './options.js';

export const PARSE_PROCESSOR_NAME = 'parse';

export interface ParseProcessorOptions {
  /** Unseals the Graph event of a calendar.raw.v1 value, in memory only. */
  readonly keyring: Keyring;
  /** Org rules and internal domains (validated; from the composition root). */
  readonly parse?: ParseOptions;
}

/**
 * processors/parse: calendar.raw.v1 → one ParsedMeeting `forward`ed (in memory) to encrypt. A
 * deleted event forwards a REMOVE. Stateless. A record whose key is not its tenantId/mailboxId,
 * or whose sealed event is damaged, fails permanently (dead letter); logs carry ids only.
 */
export function createParseProcessor(options: ParseProcessorOptions): Processor<RawCalendarRecord, never> {
  const parseOptions = options.parse ?? parseOptionsSchema.parse({});
  return {
    name: PARSE_PROCESSOR_NAME,
    stateful: false,
    async process(record: InputRecord<RawCalendarRecord>, ctx: ProcessorContext<never>): Promise<void> {
      const raw = record.value;
      if (record.key !== recordKeyOf(raw.tenantId, raw.mailboxId)) {
        throw new ParseInputError('parse: the record key is not tenantId/mailboxId of its value; dead-lettered.', { details: { tenantId: raw.tenantId } });
      }
      if (raw.changeType === 'DELETED' || raw.sealed === null) {
        ctx.forward(removedMeeting(raw));
        ctx.metrics.increment('parse_events_total', { op: 'REMOVE', provider: 'NONE' });
        return;
      }
      const event = await unsealRawEvent(options.keyring, raw);
      if (isSeriesMaster(event)) {
        ctx.metrics.increment('parse_events_total', { op: 'SERIES_MASTER', provider: 'NONE' });
        return;
      }
      const parsed = toParsedMeeting(raw, event, parseOptions);
      ctx.forward(parsed);
      ctx.metrics.increment('parse_events_total', { op: 'UPSERT', provider: parsed.providerKind });
      ctx.logger.debug({ tenantId: raw.tenantId, meetingId: raw.eventId, provider: parsed.providerKind, intent: parsed.intent !== null }, 'parse: event parsed');
    },
  };
}
