import { systemClock, type Clock } from '../common/index.js';
import { createLogger, type Logger } from '../common/index.js';
import { loadConfig, type HycalConfig } from '../config/index.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * What every part of a process is built from: the configuration, read and validated once, the
 * clock and the loggers. Only the composition root (app/) reads configuration; the libraries
 * (runtime/, kms/, stack/, ops/, schemas/) take the validated sections it hands them.
 */
export interface AppContext {
  readonly config: HycalConfig;
  readonly env: Env;
  readonly clock: Clock;
  logger(name: string): Logger;
}

export interface AppContextOptions {
  readonly env?: Env;
  /** Values that win over the environment, by section (tests, embedding). */
  readonly overrides?: Record<string, unknown>;
  /** The configuration file's sections (`hycal serve --config`); the environment wins over them. */
  readonly file?: Record<string, unknown>;
  readonly clock?: Clock;
}

export function createAppContext(options: AppContextOptions = {}): AppContext {
  const env = options.env ?? process.env;
  const config = loadConfig(env, options.overrides, options.file);
  return {
    config,
    env,
    clock: options.clock ?? systemClock,
    logger: (name) => createLogger({ name, level: config.logLevel }),
  };
}

/**
 * The context of a command-line process, made on first use and then kept: `hycal config keys`
 * works with a broken configuration, every other command reads it exactly once.
 */
export function lazyAppContext(options: AppContextOptions = {}): () => AppContext {
  let context: AppContext | undefined;
  return () => {
    context ??= createAppContext(options);
    return context;
  };
}
