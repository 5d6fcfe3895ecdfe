import { defineTopology, type Topology } from '../../runtime/index.js';
import { createWritebackProcessor, type WritebackProcessorDeps } from './processor.js';

export const WRITEBACK_TOPOLOGY_NAME = 'writeback';

/** calendar.meetings.v1 → writeback (Graph PATCHes, the `writeback_meetings` view), keyed per mailbox. */
export function defineWritebackTopology(options: WritebackProcessorDeps & { name?: string; maxConcurrentKeys?: number }): Topology {
  const { name, maxConcurrentKeys, ...deps } = options;
  return defineTopology({
    name: name ?? WRITEBACK_TOPOLOGY_NAME,
    inputs: [{ topic: 'calendar.meetings.v1' }],
    stages: [createWritebackProcessor(deps)],
    outputs: ['calendar.meetings.v1.dlq.v1'],
    ...(maxConcurrentKeys === undefined ? {} : { maxConcurrentKeys }),
  });
}
