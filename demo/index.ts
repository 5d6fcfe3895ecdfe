export { DemoBoard } from './board.js';
export type { BoardSnapshot, BoardDevice, BoardMeeting } from './board.js';
export { TopicTap, TAPPED_TOPICS } from './tap.js';
export { startDashboard } from './dashboard.js';
export type { DashboardOptions } from './dashboard.js';
export { runDemo } from './run.js';
export type { DemoOptions, RunningDemo } from './run.js';
export { AcceleratedClock, demoClock, rateOnDemoClock } from './clock.js';
