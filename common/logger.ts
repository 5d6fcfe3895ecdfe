import { pino, type Logger, type DestinationStream, type LoggerOptions } from 'pino';

/**
 * JSON logs (pino) with redaction of tokens, secrets, keys, addresses and subjects. Code passes
 * sensitive values only under these field names, so redaction catches them wherever they nest.
 */
export const REDACTED_PATHS: readonly string[] = Object.freeze(
  [
    'token', 'accessToken', 'access_token', 'refreshToken', 'refresh_token', 'idToken', 'id_token',
    'secret', 'clientSecret', 'client_secret', 'password', 'authorization', 'Authorization',
    'key', 'masterKey', 'dataKey', 'kek', 'dek', 'plaintext',
    'subject', 'body', 'bodyPreview', 'location', 'address', 'emailAddress', 'organizer', 'attendees',
    'headers.authorization', 'req.headers.authorization', 'req.headers.cookie',
  ].flatMap((field) => (field.includes('.') ? [field] : [field, `*.${field}`])),
);

export type { Logger };

export interface CreateLoggerOptions {
  readonly name: string;
  readonly level?: LoggerOptions['level'];
  readonly destination?: DestinationStream;
}

export function createLogger(options: CreateLoggerOptions): Logger {
  const pinoOptions: LoggerOptions = {
    name: options.name,
    level: options.level ?? process.env['HYCAL_LOG_LEVEL'] ?? 'info',
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    base: { pid: process.pid },
  };
  return options.destination === undefined ? pino(pinoOptions) : pino(pinoOptions, options.destination);
}

/** A logger that writes nothing, for tests and library defaults. */
export const silentLogger: Logger = pino({ level: 'silent' });
