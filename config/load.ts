import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../common/index.js';
import { ENVIRONMENT, environmentValue, variablesOf } from './environment.js';
import { configSchema, type HycalConfig } from './schema.js';

type Env = Readonly<Record<string, string | undefined>>;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const [index, key] of path.entries()) {
    if (index === path.length - 1) {
      node[key] = value;
    } else {
      const next = node[key];
      const child = next !== null && typeof next === 'object' ? (next as Record<string, unknown>) : {};
      node[key] = child;
      node = child;
    }
  }
}

/**
 * Validates configuration once: explicit overrides win over environment variables, which win over
 * the configuration file (`hycal serve --config`), which wins over defaults. A bad value fails at start with HC_ERR_CONFIG_INVALID naming the key (and its
 * environment variable) and the reason. The result is deeply frozen.
 */
export function loadConfig(env: Env = process.env, overrides: Record<string, unknown> = {}, file: Record<string, unknown> = {}): HycalConfig {
  const input: Record<string, unknown> = structuredClone(file);
  for (const { variable, key, form } of ENVIRONMENT) {
    const value = env[variable];
    if (value !== undefined && value !== '') setPath(input, key.split('.'), environmentValue(form, value));
  }
  for (const [section, value] of Object.entries(overrides)) {
    const existing = input[section];
    input[section] =
      value !== null && typeof value === 'object' && existing !== null && typeof existing === 'object'
        ? { ...(existing), ...(value) }
        : value;
  }
  keysBesideService(input);
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = issue.path.join('.');
      const variables = variablesOf(key);
      return `${key}${variables.length === 0 ? '' : ` (${variables.join(', ')})`}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration. ${problems.join('; ')}`, {
      cause: z.treeifyError(parsed.error),
    });
  }
  return deepFreeze(parsed.data);
}

/**
 * Reads a configuration file (JSON, the shape of the configuration schema: `{ "stack": { … } }`).
 * A missing or unreadable file, or one that is not a JSON object, stops the start naming the file.
 */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Configuration file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`Configuration file ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`Configuration file ${path} must hold a JSON object of sections ({ "stack": { … }, "runtime": { … } }).`);
  return value as Record<string, unknown>;
}

/**
 * kms.database unset: the keys live in the service database (stack.mongodbDatabase), whichever way
 * that was given (file, overrides or MONGODB_DATABASE). Two deployments sharing a MongoDB server
 * under different databases never share (or fight over) one tenant's wrapped keys.
 */
function keysBesideService(input: Record<string, unknown>): void {
  const stack = input['stack'];
  const service = stack !== null && typeof stack === 'object' ? (stack as Record<string, unknown>)['mongodbDatabase'] : undefined;
  if (service === undefined) return;
  const kms = input['kms'];
  if (kms === undefined) {
    input['kms'] = { database: service };
  } else if (kms !== null && typeof kms === 'object' && (kms as Record<string, unknown>)['database'] === undefined) {
    input['kms'] = { ...(kms as Record<string, unknown>), database: service };
  }
}
