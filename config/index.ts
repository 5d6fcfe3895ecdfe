export { configSchema, stackConfigSchema } from './schema.js';
export type { HycalConfig, StackConfig } from './schema.js';
export { ENVIRONMENT, variablesOf } from './environment.js';
export type { EnvironmentVariable, EnvironmentForm } from './environment.js';
export { loadConfig, readConfigFile } from './load.js';
export { configKeys, configKeysMarkdown, generatedBlock } from './describe.js';
export type { ConfigKey } from './describe.js';
