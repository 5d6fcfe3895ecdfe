import { pino, type Logger, type DestinationStream, type LoggerOptions } from 'pino';

/**
 * JSON logs (pino). Whatever a log line carries passes through `redact`, which walks the whole
 * object (any depth, arrays, cycles) and replaces the value of every sensitive field: tokens,
 * secrets, passwords, key material, authorization, subscription client states, and the personal
 * data of meetings (subjects, bodies, locations, names, addresses, attendees, organizers).
 * Code logs ids and counts; this is the net under it.
 */
const SENSITIVE_FIELDS = [
  'subject', 'body', 'bodyPreview', 'location', 'locations', 'displayName', 'address', 'emailAddress',
  'attendees', 'organizer', 'mail', 'userPrincipalName',
  'token', 'accessToken', 'refreshToken', 'idToken', 'secret', 'clientSecret', 'password', 'authorization', 'cookie',
  'clientState', 'key', 'masterKey', 'dataKey', 'privateKey', 'kek', 'dek', 'plaintext',
];

/** Fields whose name contains one of these (any case, `_`/`-` ignored) are sensitive too. */
const SENSITIVE_PARTS = ['token', 'secret', 'password', 'authorization', 'cookie', 'masterkey', 'privatekey', 'clientstate'];

const normalize = (field: string): string => field.toLowerCase().replace(/[_-]/g, '');
const EXACT = new Set(SENSITIVE_FIELDS.map(normalize));

export const REDACTED_FIELDS: readonly string[] = Object.freeze([...SENSITIVE_FIELDS]);
export const CENSOR = '[redacted]';
const MAX_DEPTH = 32;

export function isSensitiveField(field: string): boolean {
  const n = normalize(field);
  return EXACT.has(n) || SENSITIVE_PARTS.some((part) => n.includes(part));
}

function isWalkable(value: unknown): value is Record<string, unknown> | unknown[] {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value) as unknown;
  // Errors go to pino's own serializer (HcError details carry ids only, by contract).
  return proto === Object.prototype || proto === null;
}

/** A copy of `value` with every sensitive field censored, at any depth; cycles become '[circular]'. */
export function redact(value: unknown): unknown {
  const seen = new WeakSet<object>();
  const walk = (node: unknown, depth: number): unknown => {
    if (!isWalkable(node)) return node;
    if (seen.has(node)) return '[circular]';
    if (depth >= MAX_DEPTH) return '[too deep]';
    seen.add(node);
    try {
      if (Array.isArray(node)) return node.map((item) => walk(item, depth + 1));
      const out: Record<string, unknown> = {};
      for (const [field, inner] of Object.entries(node)) out[field] = isSensitiveField(field) ? CENSOR : walk(inner, depth + 1);
      return out;
    } finally {
      seen.delete(node);
    }
  };
  return walk(value, 0);
}

export type { Logger };

export interface CreateLoggerOptions {
  readonly name: string;
  /** Minimum level (the composition root passes the configured `logLevel`); default info. */
  readonly level?: LoggerOptions['level'];
  readonly destination?: DestinationStream;
}

export function createLogger(options: CreateLoggerOptions): Logger {
  const pinoOptions: LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    formatters: {
      log: (object) => redact(object) as Record<string, unknown>,
      bindings: (bindings) => redact(bindings) as Record<string, unknown>,
    },
    base: { pid: process.pid },
  };
  return guardChildren(options.destination === undefined ? pino(pinoOptions) : pino(pinoOptions, options.destination));
}

/** A child's bindings are written on every line of the child: they are redacted once, when it is made. */
function guardChildren<L extends Logger>(logger: L): L {
  const child = logger.child.bind(logger) as unknown as (bindings: Record<string, unknown>, options?: object) => Logger;
  const guarded = (bindings: Record<string, unknown>, options?: object): Logger =>
    guardChildren(child(redact(bindings) as Record<string, unknown>, options));
  logger.child = guarded as unknown as L['child'];
  return logger;
}

/** A logger that writes nothing, for tests and library defaults. */
export const silentLogger: Logger = pino({ level: 'silent' });
