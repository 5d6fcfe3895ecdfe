import { defineTopology, type Topology } from '../../runtime/index.js';
import { createMaterializeProcessor } from './processor.js';

export const MATERIALIZE_TOPOLOGY_NAME = 'materialize';

/** calendar.meetings.v1 → materialize → the user meeting-list view, keyed per mailbox. */
export function defineMaterializeTopology(options: { name?: string; maxConcurrentKeys?: number } = {}): Topology {
  return defineTopology({
    name: options.name ?? MATERIALIZE_TOPOLOGY_NAME,
    inputs: [{ topic: 'calendar.meetings.v1' }],
    stages: [createMaterializeProcessor()],
    outputs: [],
    ...(options.maxConcurrentKeys === undefined ? {} : { maxConcurrentKeys: options.maxConcurrentKeys }),
  });
}
