import { defineTopology, type Topology } from '../../runtime/index.js';
import { createMaterializeProcessor, type DayReader } from './processor.js';

export const MATERIALIZE_TOPOLOGY_NAME = 'materialize';

/** calendar.meetings.v1 → materialize → the user meeting-list view, keyed per mailbox; `days` reads a key's days back when it is loaded. */
export function defineMaterializeTopology(options: { days: DayReader; name?: string; maxConcurrentKeys?: number }): Topology {
  return defineTopology({
    name: options.name ?? MATERIALIZE_TOPOLOGY_NAME,
    inputs: [{ topic: 'calendar.meetings.v1' }],
    stages: [createMaterializeProcessor({ days: options.days })],
    outputs: [],
    ...(options.maxConcurrentKeys === undefined ? {} : { maxConcurrentKeys: options.maxConcurrentKeys }),
  });
}
