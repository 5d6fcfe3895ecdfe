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
export type { ParsedMeeting, ParsedAttendee, JoinDetails, MeetingSensitiveFields, MeetingPlainFields } from './model.js';
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
  DeviceBookingEvent,
  PresenceChange,
  TopicValues,
} from './values.js';
