import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { KEY_BYTES } from './format.js';
import { MasterKeyError } from './errors.js';

/** Parses a 32-byte key written as base64 (44 characters) or hex (64 characters). */
export function parseKey(text: string, what = 'master key'): Buffer {
  const trimmed = text.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) key = Buffer.from(trimmed, 'hex');
  else if (/^[A-Za-z0-9+/]{43}=?$/.test(trimmed)) key = Buffer.from(trimmed, 'base64');
  if (key?.length !== KEY_BYTES) {
    throw new MasterKeyError(`The ${what} must be 32 random bytes written as base64 or hex; generate one with \`hycal kms keygen\`.`);
  }
  return key;
}

export interface MasterKeySource {
  readonly file?: string | undefined;
  readonly envName: string;
  readonly env?: Record<string, string | undefined>;
  /**
   * Delete the variable from `env` once read (where the option is resolved, with `process.env`):
   * child processes and anything that dumps the environment later do not see the key.
   */
  readonly removeFromEnv?: boolean;
}

/** Refuses a key file that group or others may read or write (POSIX modes; not checked on Windows). */
function checkFileMode(file: string): void {
  if (process.platform === 'win32') return;
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (error) {
    throw new MasterKeyError(`Cannot read the master key file ${file}; check the path and its permissions.`, { cause: error });
  }
  if ((mode & 0o077) !== 0) {
    throw new MasterKeyError(
      `The master key file ${file} is accessible to group or others (mode ${(mode & 0o777).toString(8)}); restrict it with \`chmod 600 ${file}\` and start again.`,
    );
  }
}

/**
 * Loads the master key from a file (preferred; refused if group/world accessible) or an
 * environment variable. Never logs it.
 */
export function loadMasterKey(source: MasterKeySource): Buffer {
  if (source.file !== undefined) {
    checkFileMode(source.file);
    let text: string;
    try {
      text = readFileSync(source.file, 'utf8');
    } catch (error) {
      throw new MasterKeyError(`Cannot read the master key file ${source.file}; check the path and its permissions.`, { cause: error });
    }
    return parseKey(text);
  }
  const env = source.env ?? process.env;
  const value = env[source.envName];
  if (source.removeFromEnv === true) delete env[source.envName];
  if (value === undefined || value === '') {
    throw new MasterKeyError(`No master key: set ${source.envName} or a master key file (32 bytes, base64 or hex).`);
  }
  return parseKey(value);
}

export function generateKeyText(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/** A short, non-secret identifier of a key (for the key id field); reveals nothing usable about it. */
export function keyFingerprint(key: Buffer): string {
  return `m${createHash('sha256').update('hycal/key-fingerprint/v1').update(key).digest('hex').slice(0, 16)}`;
}
