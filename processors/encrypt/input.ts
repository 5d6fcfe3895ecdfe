import { z } from 'zod';
import type { ParsedMeeting } from '../../schemas/index.js';
import { EncryptInputError } from './errors.js';

const providerKind = z.enum(['NONE', 'WEBEX', 'TEAMS', 'ZOOM', 'MEET', 'SIP', 'OTHER']);
const person = z.object({ name: z.string().nullable(), address: z.string() });

/** Runtime check of a ParsedMeeting (it arrives in memory from parse, or from a test fixture). */
export const parsedMeetingSchema = z.object({
  tenantId: z.string().min(1),
  mailboxId: z.string().min(1),
  meetingId: z.string().min(1),
  seriesMasterId: z.string().min(1).nullable(),
  version: z.number().int().nonnegative(),
  op: z.enum(['UPSERT', 'REMOVE']),
  start: z.number().int(),
  end: z.number().int(),
  isAllDay: z.boolean(),
  isCancelled: z.boolean(),
  isPrivate: z.boolean(),
  isOrganizer: z.boolean(),
  showAs: z.enum(['FREE', 'TENTATIVE', 'BUSY', 'OOF', 'WORKING_ELSEWHERE', 'UNKNOWN']),
  providerKind,
  intent: z
    .object({ provider: z.enum(['WEBEX', 'MEET', 'OTHER']), modifier: z.enum(['NONE', 'MYROOM', 'SPACE', 'ONETIME', 'OTHER']) })
    .nullable(),
  attendeeCount: z.number().int().nonnegative(),
  roomMailboxIds: z.array(z.string().min(1)),
  sourceFetchedAt: z.number().int(),
  responseStatus: z.enum(['NONE', 'ORGANIZER', 'TENTATIVELY_ACCEPTED', 'ACCEPTED', 'DECLINED', 'NOT_RESPONDED']).optional(),
  sensitive: z.object({
    subject: z.string().nullable(),
    body: z.string().nullable(),
    location: z.string().nullable(),
    organizer: person.nullable(),
    attendees: z.array(
      person.extend({
        type: z.enum(['required', 'optional', 'resource']),
        response: z.enum(['none', 'organizer', 'tentativelyAccepted', 'accepted', 'declined', 'notResponded']),
      }),
    ),
    joinDetails: z
      .object({
        provider: providerKind,
        url: z.string().nullable(),
        sipUri: z.string().nullable(),
        meetingNumber: z.string().nullable(),
        foundIn: z.enum(['location', 'body', 'onlineMeeting', 'rule', 'writeback']),
        service: z.string().optional(),
        passcode: z.string().optional(),
        reason: z.string().optional(),
        dialIns: z.array(z.string()).optional(),
        alternatives: z
          .array(
            z.object({
              service: z.string(),
              provider: providerKind,
              url: z.string().nullable(),
              sipUri: z.string().nullable(),
              foundIn: z.enum(['location', 'body', 'onlineMeeting']),
              quoted: z.boolean(),
            }),
          )
          .optional(),
      })
      .nullable(),
  }),
});

/**
 * Validates an input value. The error names the paths and problem kinds only: never the values,
 * which may be plaintext subjects or addresses.
 */
export function toParsedMeeting(value: unknown): ParsedMeeting {
  const result = parsedMeetingSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(value)'}: ${issue.code}`);
    throw new EncryptInputError(`The encrypt processor received an invalid parsed meeting (${problems.join('; ')}); dead-lettered.`);
  }
  if (result.data.end < result.data.start) throw new EncryptInputError('A parsed meeting ends before it starts; dead-lettered.');
  return result.data;
}
