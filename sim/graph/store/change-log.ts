import type { ResourceChange } from '../model.js';
import type { StoredEvent } from './event.js';
import type { Mailbox } from './mailbox.js';

/**
 * What delta and change notifications read: changeKeys, per-mailbox change sequence numbers, the
 * listeners told of every change, and the events changed since a sequence number (tombstones too).
 */
export class ChangeLog {
  readonly #listeners: ((change: ResourceChange) => void)[] = [];
  #changeCounter = 0;

  onChange(listener: (change: ResourceChange) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  /** A fresh changeKey counter (every change gets a new one; `StoredEvent.changeKey` renders it). */
  nextChangeNo(): number {
    return ++this.#changeCounter;
  }

  /** Marks the event changed: new changeKey, modification time, the mailbox's next sequence number. */
  touch(mbx: Mailbox, ev: StoredEvent, now: number): void {
    ev.changeNo = this.nextChangeNo();
    ev.modifiedMs = now;
    ev.seq = ++mbx.seq;
  }

  emit(mbx: Mailbox, changeType: ResourceChange['changeType'], id: string, at: number, changeKeyValue: string): void {
    if (this.#listeners.length === 0) return;
    const change: ResourceChange = { tenantId: mbx.tenantId, mailboxId: mbx.id, changeType, eventId: id, at, changeKey: changeKeyValue };
    for (const listener of this.#listeners) listener(change);
  }
}

/** Events changed (or deleted) after `sinceSeq`, including tombstones. */
export function changedSince(mbx: Mailbox, sinceSeq: number): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (const ev of mbx.events.values()) if (ev.seq > sinceSeq) out.push(ev);
  if (mbx.tombstones !== undefined) for (const ev of mbx.tombstones.values()) if (ev.seq > sinceSeq) out.push(ev);
  return out;
}
