import { DateTime } from 'luxon';
import { findIana } from 'windows-iana';
import { z } from 'zod';
import { OooInputError } from './errors.js';

/**
 * A mailbox's automatic-replies setting as the presence rules need it: the status (Graph's casing
 * varies: `scheduled`, `Scheduled`, `AlwaysEnabled` are all accepted) and, when scheduled, the
 * window in UTC ms. Wall times are read in their own time zone (Windows or IANA name), else the
 * mailbox's time zone, else UTC. The reply messages are never read.
 */
export type ReplyStatus = 'disabled' | 'alwaysEnabled' | 'scheduled';

export interface AutomaticReplies {
  readonly status: ReplyStatus;
  /** Scheduled window, UTC ms (only when scheduled). */
  readonly start: number | null;
  readonly end: number | null;
}

const dateTimeTimeZone = z.object({ dateTime: z.string().min(1), timeZone: z.string().optional().nullable() });
const settingsSchema = z.object({
  timeZone: z.string().optional().nullable(),
  automaticRepliesSetting: z
    .object({
      status: z.string(),
      scheduledStartDateTime: dateTimeTimeZone.optional().nullable(),
      scheduledEndDateTime: dateTimeTimeZone.optional().nullable(),
    })
    .optional()
    .nullable(),
});

const STATUSES: Readonly<Record<string, ReplyStatus>> = { disabled: 'disabled', alwaysenabled: 'alwaysEnabled', scheduled: 'scheduled' };

/** IANA zone of a Graph time-zone name (Windows or IANA), or null if unknown. */
export function ianaZone(name: string | null | undefined): string | null {
  if (name === null || name === undefined || name.trim() === '') return null;
  // Memoized: a zone check builds an Intl formatter and windows-iana scans its table.
  const known = ZONES.get(name);
  if (known !== undefined) return known;
  const zone = lookUpZone(name);
  if (ZONES.size >= 1_000) ZONES.clear();
  ZONES.set(name, zone);
  return zone;
}

const ZONES = new Map<string, string | null>();

function lookUpZone(name: string): string | null {
  if (DateTime.local().setZone(name).isValid) return name;
  const mapped = findIana(name)?.[0];
  return mapped !== undefined && DateTime.local().setZone(mapped).isValid ? mapped : null;
}

function wallToUtc(value: z.output<typeof dateTimeTimeZone>, mailboxZone: string | null, path: string): number {
  const zone = ianaZone(value.timeZone) ?? mailboxZone ?? 'UTC';
  // Graph writes up to 7 fraction digits and no offset: the zone says where the wall time is.
  const wall = value.dateTime.replace(/(\.\d{3})\d+/, '$1').replace(/(Z|[+-]\d{2}:\d{2})$/, '');
  const at = DateTime.fromISO(wall, { zone });
  if (!at.isValid) throw new OooInputError(`The automatic-replies ${path} is not a date-time; dead-lettered.`);
  return at.toMillis();
}

export function readAutomaticReplies(settings: unknown): AutomaticReplies {
  const parsed = settingsSchema.safeParse(settings);
  if (!parsed.success) throw new OooInputError(`The mailbox settings cannot be read (${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.code}`).join('; ')}); dead-lettered.`);
  const replies = parsed.data.automaticRepliesSetting;
  if (replies === null || replies === undefined) return { status: 'disabled', start: null, end: null };
  const status = STATUSES[replies.status.toLowerCase()];
  if (status === undefined) throw new OooInputError('The automatic-replies status is none of disabled, alwaysEnabled, scheduled; dead-lettered.');
  if (status !== 'scheduled') return { status, start: null, end: null };
  if (!replies.scheduledStartDateTime || !replies.scheduledEndDateTime) throw new OooInputError('Scheduled automatic replies without a start and an end; dead-lettered.');
  const zone = ianaZone(parsed.data.timeZone);
  return { status, start: wallToUtc(replies.scheduledStartDateTime, zone, 'start'), end: wallToUtc(replies.scheduledEndDateTime, zone, 'end') };
}
