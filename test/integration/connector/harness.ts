export { simConnections, testKeyring } from '../../unit/connector/helpers.js';
