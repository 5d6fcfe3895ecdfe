export { run } from '../sim/graph/notifications/bench.js';
