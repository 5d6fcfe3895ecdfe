export { simConnections, startHookStub, testKeyring } from '../../unit/connector/helpers.js';
