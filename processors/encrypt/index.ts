export { createEncryptProcessor } from './processor.js';
export type { EncryptProcessorOptions } from './processor.js';
export { encryptMeeting, decryptMeeting, meetingFieldContext } from './encrypt.js';
export type { MeetingEncryptor, MeetingDecryptor } from './encrypt.js';
export { toParsedMeeting, parsedMeetingSchema } from './input.js';
export { EncryptInputError } from './errors.js';
