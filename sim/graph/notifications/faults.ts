import type { NotificationFaults } from './hub-types.js';
import { invalidRequest } from './validate.js';

/** Switchable delivery faults of the hub: the defaults and their validation (a seeded generator decides them). */

export const NO_FAULTS: NotificationFaults = { dropRate: 0, duplicateRate: 0, reorder: false, outage: false, extraLatencyMs: 0 };

/** The faults after applying `patch`; a rate outside 0..1 or a negative latency is refused. */
export function mergeFaults(current: NotificationFaults, patch: Partial<NotificationFaults>): NotificationFaults {
  for (const key of ['dropRate', 'duplicateRate'] as const) {
    const v = patch[key];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0 && v <= 1)) throw invalidRequest(`Fault '${key}' must be a number from 0 to 1.`);
  }
  const latency = patch.extraLatencyMs;
  if (latency !== undefined && !(Number.isFinite(latency) && latency >= 0)) throw invalidRequest("Fault 'extraLatencyMs' must be a number >= 0.");
  return { ...current, ...patch };
}
