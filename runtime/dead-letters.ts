import type { KafkaMessage } from 'kafkajs';
import { deadLetterTopicOf } from '../schemas/index.js';
import { recordSize, type OutboundMessage } from './flusher.js';

export { recordSize } from './flusher.js';
import { errorCode, safeErrorText } from './supervision.js';
import type { PartitionSession } from './work.js';

/** Longest value of one hc-* header, and of all copied headers of the original record, bytes. */
export const MAX_ERROR_HEADER_BYTES = 1_000;
export const MAX_COPIED_HEADERS_BYTES = 16_384;

export interface DeadLetterCause {
  readonly error: unknown;
  readonly attempts: number;
  readonly stage: string;
}

/** Size of a record as the broker counts it (value, key, headers, and a record overhead). */
function cap(text: string): string {
  return Buffer.byteLength(text) <= MAX_ERROR_HEADER_BYTES ? text : `${Buffer.from(text).subarray(0, MAX_ERROR_HEADER_BYTES - 3).toString('utf8').replace(/\uFFFD$/, '')}...`;
}

/**
 * Builds dead letters: the original key, bytes and headers plus `hc-*` headers saying why. The
 * error headers carry only codes, error names and the project's own messages (which never hold
 * values); a foreign error's message is withheld. Headers are capped, and a dead letter that would
 * still be over the topic's record limit drops the original headers, then the value (saying so),
 * so that dead-lettering itself never fails on size.
 */
export class DeadLetterWriter {
  readonly #prefix: string;
  readonly #limitFor: (topic: string) => number;

  /** `recordLimit`: the largest record a topic (prefixed name) accepts, bytes. */
  constructor(options: { prefix: string; recordLimit: (topic: string) => number }) {
    this.#prefix = options.prefix;
    this.#limitFor = options.recordLimit;
  }

  build(session: Pick<PartitionSession, 'logicalTopic' | 'partition'>, message: Pick<KafkaMessage, 'key' | 'value' | 'headers' | 'offset'>, cause: DeadLetterCause, now: number): OutboundMessage {
    const errorHeaders: Record<string, string> = {
      'hc-error-code': cap(errorCode(cause.error)),
      'hc-error-message': cap(safeErrorText(cause.error)),
      'hc-attempts': String(cause.attempts),
      'hc-processor': cap(cause.stage),
      'hc-source-topic': session.logicalTopic,
      'hc-source-partition': String(session.partition),
      'hc-source-offset': message.offset,
      'hc-failed-at': String(now),
    };
    const topic = `${this.#prefix}${deadLetterTopicOf(session.logicalTopic)}`;
    const limit = this.#limitFor(topic);
    const copied = copiedHeaders(message.headers);
    let letter: OutboundMessage = { topic, key: message.key, value: message.value, headers: { ...copied.headers, ...errorHeaders, ...copied.note } };
    if (recordSize(letter) <= limit) return letter;
    const dropped = { 'hc-headers-dropped': String(Object.keys(message.headers ?? {}).length) };
    letter = { topic, key: message.key, value: message.value, headers: { ...errorHeaders, ...dropped } };
    if (recordSize(letter) <= limit) return letter;
    return { topic, key: message.key, value: null, headers: { ...errorHeaders, ...dropped, 'hc-value-dropped': String(message.value?.length ?? 0) } };
  }
}

function copiedHeaders(headers: KafkaMessage['headers']): { headers: Record<string, string | Buffer>; note: Record<string, string> } {
  const out: Record<string, string | Buffer> = {};
  let bytes = 0;
  let dropped = 0;
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first === undefined) continue;
    const size = Buffer.byteLength(name) + Buffer.byteLength(first);
    if (bytes + size > MAX_COPIED_HEADERS_BYTES) {
      dropped += 1;
      continue;
    }
    bytes += size;
    out[name] = first;
  }
  return { headers: out, note: dropped > 0 ? { 'hc-headers-dropped': String(dropped) } : {} };
}
