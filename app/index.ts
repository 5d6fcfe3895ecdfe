export { createAppContext, lazyAppContext } from './context.js';
export type { AppContext, AppContextOptions } from './context.js';
export { buildKafka, connectMongo, serviceDb, buildCodec, buildKeyring, withKeyring, buildRuntime, startOps } from './wiring.js';
export type { BuiltKeyring, RuntimeParts } from './wiring.js';
export { defineMeetingsTopology, MEETINGS_TOPOLOGY_NAME } from './topologies.js';
export type { MeetingsTopologyOptions } from './topologies.js';
export { stackTarget, stackTargetOf } from './stack.js';
export { meetingDocumentLayout } from './layouts.js';
