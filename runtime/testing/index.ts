// Test-only entry point of the runtime: not exported from runtime/index.ts.
export { TopologyTestDriver } from './driver.js';
export type { TopologyTestDriverOptions, PipeOptions, TestCodec } from './driver.js';
export type { TestOutput } from './memory.js';
