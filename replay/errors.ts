import { HcError, type HcErrorOptions } from '../common/index.js';

/** A replay was asked for something it must not do or cannot find (unknown topic, a service topic as output, decryption without a grant). */
export class ReplayInputError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_REPLAY_INPUT', message, options);
  }
}

/** A key grant file is missing, malformed, expired, or does not cover the tenant or topic replayed. */
export class ReplayGrantError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_REPLAY_GRANT', message, options);
  }
}

/** The target consumer group of `--to-group` already exists (has members or committed offsets): a replay only starts new groups. */
export class ReplayGroupExistsError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_REPLAY_GROUP_EXISTS', message, options);
  }
}

/** The replay's Kafka consumer gave up (its retries ran out and it does not restart); the message names the topic and the cause. */
export class ReplayConsumerError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_REPLAY_CONSUMER', message, options);
  }
}
