import { z } from 'zod';
import { LOCATION_TYPES, LOCATION_UNIQUE_ID_TYPES, SimGraphError, type GraphEventInput, type MailboxSettingsInput } from '../model.js';

/** Case-insensitive enum: Graph accepts "HTML" or "Monday" and answers in its own casing. */
function ciEnum<const T extends readonly [string, ...string[]]>(values: T) {
  const byLower = new Map(values.map((v) => [v.toLowerCase(), v]));
  return z.string().transform((v, ctx): T[number] => {
    const hit = byLower.get(v.toLowerCase());
    if (hit === undefined) {
      ctx.addIssue({ code: 'custom', message: `Requested value '${v}' was not found.` });
      return z.NEVER;
    }
    return hit;
  });
}

const dateTimeTimeZone = z.strictObject({ dateTime: z.string().min(1), timeZone: z.string().default('UTC') });
const emailAddress = z.strictObject({ name: z.string().optional(), address: z.string() });
const optionalText = z.string().nullable().optional().transform((v) => v ?? undefined);
const optionalNumber = z.number().nullable().optional().transform((v) => v ?? undefined);
const physicalAddress = z.strictObject({
  street: optionalText, city: optionalText, state: optionalText, countryOrRegion: optionalText, postalCode: optionalText,
});
const coordinates = z.strictObject({
  latitude: optionalNumber, longitude: optionalNumber, altitude: optionalNumber, accuracy: optionalNumber, altitudeAccuracy: optionalNumber,
});
const location = z.looseObject({
  displayName: z.string().nullable().optional().transform((v) => v ?? undefined),
  locationType: ciEnum(LOCATION_TYPES).optional(),
  locationUri: optionalText,
  locationEmailAddress: optionalText,
  uniqueId: optionalText,
  uniqueIdType: ciEnum(LOCATION_UNIQUE_ID_TYPES).optional(),
  address: physicalAddress.nullable().optional().transform((v) => v ?? undefined),
  coordinates: coordinates.nullable().optional().transform((v) => v ?? undefined),
});
const responseType = ciEnum(['none', 'organizer', 'tentativelyAccepted', 'accepted', 'declined', 'notResponded'] as const);
const attendee = z.strictObject({
  type: ciEnum(['required', 'optional', 'resource'] as const).default('required'),
  emailAddress,
  status: z.strictObject({ response: responseType, time: z.string() }).optional(),
  proposedNewTime: z.unknown().optional(),
});
const dayOfWeek = ciEnum(['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const);
const recurrence = z.strictObject({
  pattern: z.strictObject({
    type: ciEnum(['daily', 'weekly', 'absoluteMonthly', 'relativeMonthly', 'absoluteYearly', 'relativeYearly'] as const),
    interval: z.number().int(),
    month: z.number().int().optional(),
    dayOfMonth: z.number().int().optional(),
    daysOfWeek: z.array(dayOfWeek).optional(),
    firstDayOfWeek: dayOfWeek.optional(),
    index: ciEnum(['first', 'second', 'third', 'fourth', 'last'] as const).optional(),
  }),
  range: z.strictObject({
    type: ciEnum(['endDate', 'noEnd', 'numbered'] as const),
    startDate: z.string(),
    endDate: z.string().optional(),
    numberOfOccurrences: z.number().int().optional(),
    recurrenceTimeZone: z.string().optional(),
  }),
});

/** Read-only event properties a client may echo back; accepted and ignored as Graph does. */
const readOnly = {
  id: z.unknown().optional(), changeKey: z.unknown().optional(), createdDateTime: z.unknown().optional(), lastModifiedDateTime: z.unknown().optional(),
  iCalUId: z.unknown().optional(), type: z.unknown().optional(), seriesMasterId: z.unknown().optional(), webLink: z.unknown().optional(), bodyPreview: z.unknown().optional(),
  isOrganizer: z.unknown().optional(), hasAttachments: z.unknown().optional(), originalStartTimeZone: z.unknown().optional(), originalEndTimeZone: z.unknown().optional(),
  responseStatus: z.unknown().optional(), onlineMeetingUrl: z.unknown().optional(), onlineMeeting: z.unknown().optional(), isCancelled: z.unknown().optional(), isDraft: z.unknown().optional(),
  originalStart: z.unknown().optional(), occurrenceId: z.unknown().optional(),
};

const eventInput = z.strictObject({
  ...readOnly,
  subject: z.string().nullable().optional(),
  body: z.strictObject({ contentType: ciEnum(['text', 'html'] as const).default('text'), content: z.string() }).optional(),
  start: dateTimeTimeZone.optional(),
  end: dateTimeTimeZone.optional(),
  isAllDay: z.boolean().optional(),
  location: location.optional(),
  locations: z.array(location).optional(),
  attendees: z.array(attendee).optional(),
  organizer: z.strictObject({ emailAddress }).optional(),
  recurrence: recurrence.nullable().optional(),
  sensitivity: ciEnum(['normal', 'personal', 'private', 'confidential'] as const).optional(),
  showAs: ciEnum(['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown'] as const).optional(),
  importance: ciEnum(['low', 'normal', 'high'] as const).optional(),
  isOnlineMeeting: z.boolean().optional(),
  onlineMeetingProvider: ciEnum(['unknown', 'skypeForBusiness', 'skypeForConsumer', 'teamsForBusiness'] as const).optional(),
  isReminderOn: z.boolean().optional(),
  reminderMinutesBeforeStart: z.number().int().optional(),
  categories: z.array(z.string()).optional(),
  transactionId: z.string().optional(),
  responseRequested: z.boolean().optional(),
  allowNewTimeProposals: z.boolean().optional(),
  hideAttendees: z.boolean().optional(),
  singleValueExtendedProperties: z.array(z.strictObject({ id: z.string(), value: z.string() })).optional(),
});

function bodyReadError(type: string, error: z.ZodError): SimGraphError {
  const issue = error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    return new SimGraphError(400, 'RequestBodyRead', `The property '${issue.keys[0] ?? ''}' does not exist on type '${type}'. Make sure to only use property names that are defined by the type or mark the type as open type.`);
  }
  const path = issue?.path.join('.') ?? '';
  return new SimGraphError(400, 'RequestBodyRead', `Cannot read the value of property '${path}' on type '${type}': ${issue?.message ?? 'invalid value'}.`);
}

function stripAnnotations(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!k.startsWith('@odata.')) out[k] = v;
  return out;
}

/** Parses a client's event body (create or PATCH) into GraphEventInput, answering Graph's RequestBodyRead errors. */
export function parseEventInput(body: unknown): GraphEventInput {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new SimGraphError(400, 'RequestBodyRead', 'An unexpected StartArray or primitive node was found when reading the request body; an object was expected.');
  }
  const parsed = eventInput.safeParse(stripAnnotations(body));
  if (!parsed.success) throw bodyReadError('microsoft.graph.event', parsed.error);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parsed.data)) if (!(k in readOnly) && v !== undefined) out[k] = v;
  return out;
}

const automaticReplies = z.strictObject({
  status: ciEnum(['disabled', 'alwaysEnabled', 'scheduled'] as const).optional(),
  externalAudience: ciEnum(['none', 'contactsOnly', 'all'] as const).optional(),
  scheduledStartDateTime: dateTimeTimeZone.optional(),
  scheduledEndDateTime: dateTimeTimeZone.optional(),
  internalReplyMessage: z.string().optional(),
  externalReplyMessage: z.string().optional(),
});
const mailboxSettingsInput = z.strictObject({
  automaticRepliesSetting: automaticReplies.optional(),
  language: z.strictObject({ locale: z.string(), displayName: z.string().optional() }).optional(),
  timeZone: z.string().optional(),
  dateFormat: z.string().optional(),
  timeFormat: z.string().optional(),
  workingHours: z.looseObject({}).optional(),
  delegateMeetingMessageDeliveryOptions: ciEnum(['sendToDelegateAndInformationToPrincipal', 'sendToDelegateAndPrincipal', 'sendToDelegateOnly'] as const).optional(),
});

export type MailboxSettingsPatch = Omit<MailboxSettingsInput, 'automaticRepliesSetting'> & {
  automaticRepliesSetting?: Partial<NonNullable<MailboxSettingsInput['automaticRepliesSetting']>>;
  dateFormat?: string;
  timeFormat?: string;
  workingHours?: Record<string, unknown>;
  delegateMeetingMessageDeliveryOptions?: string;
};

export function parseMailboxSettingsPatch(body: unknown): MailboxSettingsPatch {
  const parsed = mailboxSettingsInput.safeParse(stripAnnotations(body));
  if (!parsed.success) throw bodyReadError('microsoft.graph.mailboxSettings', parsed.error);
  return JSON.parse(JSON.stringify(parsed.data)) as MailboxSettingsPatch;
}

const respondInput = z.strictObject({
  comment: z.string().optional(),
  sendResponse: z.boolean().optional(),
  proposedNewTime: z.strictObject({ start: dateTimeTimeZone, end: dateTimeTimeZone }).optional(),
});

export function parseRespondInput(body: unknown): z.infer<typeof respondInput> {
  const parsed = respondInput.safeParse(body ?? {});
  if (!parsed.success) throw bodyReadError('microsoft.graph.event', parsed.error);
  return parsed.data;
}

const cancelInput = z.strictObject({ comment: z.string().optional() });

export function parseCancelInput(body: unknown): z.infer<typeof cancelInput> {
  const parsed = cancelInput.safeParse(body ?? {});
  if (!parsed.success) throw bodyReadError('microsoft.graph.event', parsed.error);
  return parsed.data;
}
