import { pino, type Logger } from 'pino';

/** The simulator logs through pino; a host passes its own logger (redaction is the host's). */
export type { Logger };

/** A logger that writes nothing, the default of every simulator part. */
export const silentLogger: Logger = pino({ level: 'silent' });
