/**
 * Test support of the simulator package (subpath `@hybrid-calendar/sim-graph/testing`): fast-check
 * arbitraries of Graph recurrence series and an independent expansion oracle on the `rrule`
 * package. Needs `fast-check` and `rrule` (optional peer dependencies); never imported by the
 * simulator itself.
 */
export { ZONE_NAMES, patternArb, seriesCaseArb } from './recurrence-arbitraries.js';
export type { SeriesCase, SeriesArbOptions } from './recurrence-arbitraries.js';
export { buildOracle, oracleExpand, oracleHasOccurrence, oracleIana, luxonInstant } from './rrule-oracle.js';
export type { OracleOccurrence, OracleSetup } from './rrule-oracle.js';
