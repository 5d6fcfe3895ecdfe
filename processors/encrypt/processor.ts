import type { InputRecord, Processor, ProcessorContext } from '../../runtime/index.js';
import { recordKeyOf } from '../../kms/index.js';
import { encryptMeeting, type MeetingEncryptor } from './encrypt.js';
import { EncryptInputError } from './errors.js';
import { toParsedMeeting } from './input.js';

export interface EncryptProcessorOptions {
  readonly keyring: MeetingEncryptor;
}

/**
 * processors/encrypt: a parsed meeting (record value, or handed over in memory by parse through
 * `forward`) → one field-encrypted calendar.meetings.v1 record with the same key.
 *
 * Failure policy through the runtime: an invalid input or a key the tenant no longer has
 * (shredded) is permanent (dead letter); the KMS being down is retryable (the work waits). No
 * path emits a record without its sensitive fields encrypted, and logs carry ids only.
 */
export function createEncryptProcessor(options: EncryptProcessorOptions): Processor<unknown, never> {
  return {
    name: 'encrypt',
    // No per-key state or timers: the runtime need not load a state document for encrypt.
    stateful: false,
    async process(record: InputRecord<unknown>, ctx: ProcessorContext<never>): Promise<void> {
      const parsed = toParsedMeeting(record.value);
      const key = recordKeyOf(parsed.tenantId, parsed.mailboxId);
      if (record.key !== key) {
        throw new EncryptInputError('A parsed meeting arrived under another record key than tenantId/mailboxId; dead-lettered.', {
          details: { tenantId: parsed.tenantId, meetingId: parsed.meetingId },
        });
      }
      const occurrence = await encryptMeeting(parsed, options.keyring);
      ctx.emit('calendar.meetings.v1', key, occurrence);
      ctx.metrics.increment('encrypt_meetings_total', { op: occurrence.op });
      ctx.logger.debug(
        { tenantId: parsed.tenantId, meetingId: parsed.meetingId, version: parsed.version, keyVersion: occurrence.keyRef.version },
        'encrypt: meeting encrypted',
      );
    },
  };
}
