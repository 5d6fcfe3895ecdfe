import { ConfigError } from '../common/index.js';
import type { ConnectionStrings, StackTarget } from '../stack/index.js';
import { createAppContext, type AppContext } from './context.js';

type Env = Readonly<Record<string, string | undefined>>;

const EXTERNAL_KEYS = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'MONGODB_URI'] as const;

/**
 * The existing stack the environment names, when all three variables are set: then hycal runs no
 * stack of its own. Setting only some of them is a configuration error naming the missing ones.
 */
function externalConnections(env: Env, config: { kafkaBrokers: string; schemaRegistryUrl: string; mongodbUri: string }): ConnectionStrings | undefined {
  const set = EXTERNAL_KEYS.filter((key) => (env[key] ?? '') !== '');
  if (set.length === 0) return undefined;
  if (set.length < EXTERNAL_KEYS.length) {
    const missing = EXTERNAL_KEYS.filter((key) => !set.includes(key));
    throw new ConfigError(
      `${set.join(', ')} set but ${missing.join(', ')} not: set all three to use an existing stack, or none to let hycal run one.`,
    );
  }
  return { KAFKA_BROKERS: config.kafkaBrokers, SCHEMA_REGISTRY_URL: config.schemaRegistryUrl, MONGODB_URI: config.mongodbUri };
}

/** Which stack `hycal stack ...` works on, from a process's configuration. */
export function stackTargetOf(context: AppContext, root?: string): StackTarget {
  return { options: context.config.localStack, external: externalConnections(context.env, context.config.stack), root };
}

/** The same from an environment (the test harness, which has no process context). */
export function stackTarget(env: Env = process.env, root?: string): StackTarget {
  return stackTargetOf(createAppContext({ env }), root);
}
