import { createEncryptProcessor, type MeetingEncryptor } from '../processors/encrypt/index.js';
import { defineTopology, type Processor, type Topology } from '../runtime/index.js';

/*
 * The topologies of the service, assembled from the processors' factories. A processor folder
 * exports its processor; which processors run together, on which topics, is decided here.
 */

/** Consumer group and state-collection name of the meetings pipeline (`rt_meetings_state`). */
export const MEETINGS_TOPOLOGY_NAME = 'meetings';

export interface MeetingsTopologyOptions {
  /**
   * The stage before encrypt: it receives `calendar.raw.v1` values (decoded by the runtime's Avro
   * codec), unseals the Graph event in memory and `forward`s one ParsedMeeting per meeting to
   * encrypt. The composition root fills it with processors/parse's `createParseProcessor`
   * (processors never import each other, so this file only names the slot).
   */
  readonly parse: Processor<never, never>;
  /** Keyring of the processor process (unsealing is the parse stage's business; encrypt leases keys). */
  readonly keyring: MeetingEncryptor;
  readonly name?: string;
  readonly maxConcurrentKeys?: number;
}

/**
 * calendar.raw.v1 → parse → encrypt → calendar.meetings.v1, on the actor runtime. Records are keyed
 * `tenantId/mailboxId`, so one mailbox's events stay in order; a record whose unsealing, parsing
 * or encryption fails permanently goes to `calendar.raw.v1.dlq.v1` with its original (still sealed)
 * bytes, and a KMS outage (retryable) holds the record until the runtime's retry budget
 * (`runtime.retry.maxAttempts`) is spent.
 */
export function defineMeetingsTopology(options: MeetingsTopologyOptions): Topology {
  return defineTopology({
    name: options.name ?? MEETINGS_TOPOLOGY_NAME,
    inputs: [{ topic: 'calendar.raw.v1' }],
    stages: [options.parse, createEncryptProcessor({ keyring: options.keyring })],
    outputs: ['calendar.meetings.v1'],
    ...(options.maxConcurrentKeys === undefined ? {} : { maxConcurrentKeys: options.maxConcurrentKeys }),
  });
}
