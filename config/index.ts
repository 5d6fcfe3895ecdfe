export { configSchema, stackConfigSchema, ENVIRONMENT_KEYS } from './schema.js';
export type { HycalConfig, StackConfig } from './schema.js';
export { loadConfig } from './load.js';
export { configKeys, configKeysMarkdown, generatedBlock, registerConfigCommands } from './describe.js';
export type { ConfigKey } from './describe.js';
