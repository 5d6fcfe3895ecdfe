export { createMaterializeProcessor, USER_MEETINGS_VIEW } from './processor.js';
export { defineMaterializeTopology, MATERIALIZE_TOPOLOGY_NAME } from './topology.js';
export { dayOf, daysOf, userMeetingDayIds, isListedAt, listItem, syncDays, nextSweep, EMPTY_LIST_STATE } from './days.js';
export type { ListEntry, ListState, DayWrite } from './days.js';
export { MaterializeInputError } from './errors.js';
