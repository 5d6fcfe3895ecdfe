export { createMaterializeProcessor, USER_MEETINGS_VIEW } from './processor.js';
export type { DayReader } from './processor.js';
export { MongoDayReader } from './day-store.js';
export { defineMaterializeTopology, MATERIALIZE_TOPOLOGY_NAME } from './topology.js';
export { dayOf, daysOf, userMeetingDayIds, isListedAt, listItem, syncDays, nextSweep, spillListState, spilledDayIds, unspillListState, EMPTY_LIST_STATE } from './days.js';
export type { ListEntry, ListState, DayWrite } from './days.js';
export { MaterializeInputError, MaterializeViewUnavailableError } from './errors.js';
