import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ReplayGrantError } from './errors.js';

/**
 * An explicit, written permission to decrypt one tenant's records during a replay, for a stated
 * purpose. It carries no key: the keys stay in the KMS; the grant only opens the door, and its use
 * is audited (tenant, purpose, who granted, until when, the file's fingerprint; never a key).
 */
export const keyGrantSchema = z
  .object({
    tenantId: z.string().min(1),
    purpose: z.string().min(3).max(200),
    grantedBy: z.string().min(1).max(200),
    /** ISO-8601 instant after which the grant no longer opens anything. */
    expiresAt: z.string().datetime({ offset: true }),
    /** Topics (without prefix) the grant covers; absent: every topic with encrypted fields. */
    topics: z.array(z.string().min(1)).optional(),
  })
  .strict();

export interface KeyGrant {
  readonly tenantId: string;
  readonly purpose: string;
  readonly grantedBy: string;
  readonly expiresAt: number;
  readonly topics: readonly string[] | null;
  /** sha256 of the grant file, first 16 hex digits: names the grant in the audit log. */
  readonly fingerprint: string;
}

/** Parses and checks a grant file's text at `now`; the error names the field, never its value. */
export function parseKeyGrant(text: string, now: number): KeyGrant {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ReplayGrantError('The key grant file is not JSON. It holds {"tenantId","purpose","grantedBy","expiresAt"} (see docs/operations.md, Replay).', { cause: error instanceof Error ? new Error(error.name) : undefined });
  }
  const parsed = keyGrantSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(file)').join(', ');
    throw new ReplayGrantError(`The key grant file is invalid at ${fields}. It holds {"tenantId","purpose","grantedBy","expiresAt"} (see docs/operations.md, Replay).`);
  }
  const expiresAt = Date.parse(parsed.data.expiresAt);
  if (expiresAt <= now) throw new ReplayGrantError(`The key grant expired at ${new Date(expiresAt).toISOString()}; ask for a new one.`);
  return {
    tenantId: parsed.data.tenantId,
    purpose: parsed.data.purpose,
    grantedBy: parsed.data.grantedBy,
    expiresAt,
    topics: parsed.data.topics ?? null,
    fingerprint: createHash('sha256').update(text).digest('hex').slice(0, 16),
  };
}
