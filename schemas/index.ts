export { applyToLedger, retire, TOMBSTONE_MS } from './ledger.js';
export type { Ledger, LedgerEntry, Tombstone } from './ledger.js';
export { TOPICS, DEAD_LETTER_SUFFIX, topicSpec, deadLetterTopicOf, valueSubject } from './topics.js';
export type { TopicSpec, TopicName, CleanupPolicy } from './topics.js';
export {
  createSchemaRegistry,
  registerAvro,
  registerTopicSchemas,
  readSchemaFile,
  SchemaRegistryError,
  SchemaIncompatibleError,
} from './registry.js';
export { TopicCodec, RecordDecodeError, SchemaRegistryUnavailableError } from './codec.js';
export { provisionTopics, TopicProvisionError } from './provision.js';
export type { ProvisionOptions, ProvisionResult } from './provision.js';
export { MEETING_ENCRYPTED_FIELDS } from './values.js';
export { CARD_FIELD, cardPlaintext, parseCard, CardFormatError } from './card.js';
export type { MeetingCard } from './card.js';
export { DAY_MS, MEETING_WINDOW_PAST_MS, MEETING_WINDOW_AHEAD_MS, inMeetingWindow, asBytes } from './model.js';
export type { ParsedMeeting, ParsedAttendee, JoinDetails, JoinAlternative, MeetingSensitiveFields, MeetingPlainFields } from './model.js';
export type {
  RawCalendarRecord,
  RawMailboxSettings,
  RawChangeType,
  RawSource,
  KeyRef,
  ProviderKind,
  KeywordIntent,
  MeetingOccurrence,
  MeetingEncryptedField,
  ResponseStatus,
  DeviceBookingEvent,
  PresenceChange,
  GraphNotification,
  TopicValues,
} from './values.js';
export { buildAsyncApi, renderAsyncApi, channelId, COMPATIBILITY_RULES } from './asyncapi.js';
