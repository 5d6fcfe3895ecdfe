export { replayTopic } from './replay.js';
export type { ReplayOptions, ReplayResult, ReplayStart, ReplayTarget } from './replay.js';
export { parseKeyGrant, keyGrantSchema } from './grant.js';
export type { KeyGrant } from './grant.js';
export { grantedDecryptor, DECRYPTABLE_TOPICS } from './decrypt.js';
export type { RecordDecryptor } from './decrypt.js';
export { ReplayInputError, ReplayGrantError, ReplayGroupExistsError, ReplayConsumerError } from './errors.js';
