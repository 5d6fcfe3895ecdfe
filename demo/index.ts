export { DemoBoard } from './board.js';
export type { BoardSnapshot, BoardDevice, BoardMeeting } from './board.js';
export { TopicTap, TAPPED_TOPICS } from './tap.js';
export { startDashboard } from './dashboard.js';
export type { DashboardOptions } from './dashboard.js';
