import type { TopicCodec } from '../schemas/index.js';
import type { TopicValues } from '../schemas/index.js';
import { ProcessorFailedError } from './errors.js';
import type { TopologyInput, ValueDecoder } from './topology.js';

/** Turns an emitted value into the bytes of its topic. */
export interface RecordEncoder {
  encode(topic: keyof TopicValues, value: unknown): Promise<Buffer>;
}

/** The runtime's view of the record codec: encodes emits, and gives each input its decoder. */
export interface RecordCodec extends RecordEncoder {
  decoderFor(input: TopologyInput): ValueDecoder;
}

/**
 * The Avro codec (Confluent wire format through the registry) as the runtime's codec; an input with
 * its own `decode` keeps it. Without a TopicCodec, emitting or decoding Avro fails permanently,
 * saying what to pass.
 */
export function avroRecordCodec(codec: TopicCodec | undefined): RecordCodec {
  return {
    async encode(topic, value) {
      if (codec === undefined) throw new ProcessorFailedError(`Emitting to ${topic} needs the Avro codec; pass codec to the runtime.`);
      return codec.encode(topic, value as never);
    },
    decoderFor(input) {
      if (input.decode !== undefined) return input.decode;
      return async (bytes, topic) => {
        if (codec === undefined) throw new ProcessorFailedError(`Decoding ${topic} needs the Avro codec; pass codec to the runtime or a decode function.`);
        return codec.decode(topic as keyof TopicValues, bytes);
      };
    },
  };
}
