/**
 * How far above its stored sequence a key loaded from the store goes on numbering its outputs.
 * A worker's messages (and views) go out before the state that numbered them is written; if it dies
 * in between, its successor loads the older state and numbers its outputs again — not necessarily
 * the same outputs (a due timer may fire before the records after the durable prefix are read
 * again). A consumer that skips what is at or below the last sequence it applied (obtp's device
 * view, a guarded view upsert, a gateway's fold) would skip a successor's output that reuses a
 * sequence for another change. Stored `seq + SEQ_HEADROOM`, a successor starts above every
 * sequence its predecessor can have used since its last written state (far fewer than 2^20 per
 * key). Each load from the store spends one headroom; sequences stay exact integers for 2^33 loads.
 */
export const SEQ_HEADROOM = 2 ** 20;

/** A state as stored: its sequence raised by the headroom (see SEQ_HEADROOM); for a processor's `persist`. */
export function withSeqHeadroom<S extends { readonly seq: number }>(state: S): S {
  return { ...state, seq: state.seq + SEQ_HEADROOM };
}
