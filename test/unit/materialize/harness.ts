import { ManualClock } from '../../../common/clock.js';
import { defineMaterializeTopology, userMeetingDayIds, USER_MEETINGS_VIEW } from '../../../processors/materialize/index.js';
import type { StoredTimer } from '../../../runtime/work.js';
import { TopologyTestDriver } from '../../../runtime/testing/index.js';
import type { MeetingOccurrence } from '../../../schemas/index.js';
import { DAY, T0 } from '../model/fixtures.js';

/** materialize's topology on the real executor (TopologyTestDriver, manual clock), for user-1 of tenant-a. */
export class MaterializeHarness {
  readonly clock = new ManualClock(T0);
  readonly driver: TopologyTestDriver;
  readonly #passivate: boolean;

  /** `passivate`: every actor is dropped from memory before each record and time step, so each one loads its key from the store. */
  constructor(options: { passivate?: boolean } = {}) {
    this.#passivate = options.passivate === true;
    // materialize reads a key's day documents back when the key is loaded from the store.
    const days = { read: (ids: readonly string[]): Promise<Record<string, unknown>[]> => Promise.resolve(ids.flatMap((id) => {
      const doc = this.driver.view(USER_MEETINGS_VIEW, id);
      return doc === undefined ? [] : [structuredClone(doc)];
    })) };
    this.driver = new TopologyTestDriver(defineMaterializeTopology({ days }), { clock: this.clock, ...(this.#passivate ? { options: { passivationIdleMs: 0 } } : {}) });
  }

  async process(m: MeetingOccurrence): Promise<void> {
    if (this.#passivate) this.driver.passivate();
    await this.driver.pipeInput('calendar.meetings.v1', `${m.tenantId}/${m.mailboxId}`, m);
  }

  async advance(ms: number): Promise<void> {
    if (this.#passivate) this.driver.passivate();
    await this.driver.advanceTime(ms);
  }

  /** The day documents that hold meetings, by day (every day from T0 − 60 d to T0 + 120 d is read by `_id`). */
  days(): Map<string, Record<string, unknown>> {
    const out = new Map<string, Record<string, unknown>>();
    for (const id of userMeetingDayIds('tenant-a', 'user-1', T0 - 60 * DAY, T0 + 120 * DAY)) {
      const doc = this.driver.view(USER_MEETINGS_VIEW, id);
      if (doc !== undefined && doc['deleted'] !== true) out.set(id.slice('tenant-a/user-1/'.length), doc);
    }
    return out;
  }

  timers(): StoredTimer[] {
    return this.driver.timers('tenant-a/user-1');
  }
}
