import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SimGraphError } from '../model.js';

/** What a $skiptoken / $deltatoken carries: the window, the sync point and the page position. */
export interface DeltaState {
  /** Mailbox id. */
  m: string;
  /** Window start/end, UTC ms. */
  s: number;
  e: number;
  /** Changes after this mailbox sequence are in the round (0 = initial sync). */
  f: number;
  /** Mailbox sequence when the round started (the next round's `f`). */
  t: number;
  /** Keyset position: last event id whose items were all emitted, and the count emitted of the next one. */
  k: string;
  i: number;
  /** Page size (odata.maxpagesize of the first request). */
  p: number;
  /** Sync-state generation (see Faults.syncEpoch); absent in links of generation 0. */
  g?: number;
}

export class DeltaTokens {
  #secret: Buffer;

  constructor(secret: Buffer) {
    this.#secret = secret;
  }

  /** Forgets every sync state: outstanding $skiptoken/$deltatoken links answer 410 syncStateNotFound. */
  expireAll(): void {
    this.#secret = randomBytes(32);
  }

  encode(state: DeltaState): string {
    const body = Buffer.from(JSON.stringify(state)).toString('base64url');
    return `${body}.${this.#mac(body)}`;
  }

  decode(token: string, mailboxId: string, baseDeltaUrl: string): DeltaState {
    const gone = () => new SimGraphError(410, 'syncStateNotFound', 'The sync state is not found or has expired. Please restart the sync.', { Location: `${baseDeltaUrl}?$deltatoken=` });
    const dot = token.lastIndexOf('.');
    if (dot < 0) throw gone();
    const body = token.slice(0, dot);
    const mac = Buffer.from(token.slice(dot + 1));
    const expected = Buffer.from(this.#mac(body));
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) throw gone();
    const state = JSON.parse(Buffer.from(body, 'base64url').toString()) as DeltaState;
    if (state.m !== mailboxId) throw gone();
    return state;
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#secret).update(body).digest('base64url').slice(0, 22);
  }
}
