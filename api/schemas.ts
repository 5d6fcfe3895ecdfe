/** JSON schemas shared by the routes (OpenAPI 3.1 = JSON Schema 2020-12 compatible subsets). */
export const TENANT_ID = { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', description: 'Microsoft 365 tenant id (GUID)' } as const;
export const USER_ID = { type: 'string', pattern: '^[A-Za-z0-9._@-]{1,128}$', description: 'Mailbox (user) object id' } as const;
export const DEVICE_ID = { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' } as const;
export const EVENT_ID = { type: 'string', pattern: '^[A-Za-z0-9._=+-]{1,200}$', description: 'Graph event id' } as const;
export const INSTANT = { type: 'string', maxLength: 40, pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2})$', description: 'ISO 8601 instant with offset' } as const;
export const NULLABLE_STRING = { type: ['string', 'null'] } as const;
export const PROVIDER = { type: 'string', enum: ['NONE', 'WEBEX', 'TEAMS', 'ZOOM', 'MEET', 'SIP', 'OTHER'] } as const;

export const ERROR_BODY = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string', pattern: '^HC_ERR_[A-Z0-9_]+$' }, message: { type: 'string' } },
    },
  },
} as const;

export const JOIN = {
  type: ['object', 'null'],
  required: ['provider', 'url', 'sipUri', 'meetingNumber'],
  properties: { provider: PROVIDER, url: NULLABLE_STRING, sipUri: NULLABLE_STRING, meetingNumber: NULLABLE_STRING },
} as const;

export const RANGE_QUERY = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'to'],
  properties: { from: INSTANT, to: INSTANT },
} as const;

export const DATE_TIME_TZ = {
  type: 'object',
  additionalProperties: false,
  required: ['dateTime', 'timeZone'],
  properties: { dateTime: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,7})?)?$' }, timeZone: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

export const errorResponses = { 400: ERROR_BODY, 401: ERROR_BODY, 403: ERROR_BODY, 404: ERROR_BODY, 429: ERROR_BODY } as const;
