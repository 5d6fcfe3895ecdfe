import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEvent, parseOptionsSchema, type ParseResult } from '../../../processors/parse/index.js';

/** The invitation corpus (test/fixtures/invitations) and how one invitation is scored. */
export interface Invitation {
  readonly id: string;
  readonly about: string;
  readonly event: Record<string, unknown>;
  readonly expect: Record<string, unknown>;
  readonly orgRules?: unknown;
  readonly internalDomains?: string[];
}

export const CORPUS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/invitations');

export function loadInvitations(set: 'tuning' | 'held-out'): Invitation[] {
  const dir = join(CORPUS_DIR, set);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as Invitation);
}

export function parseInvitation(invitation: Invitation): ParseResult {
  const options = parseOptionsSchema.parse({ rules: invitation.orgRules ?? [], internalDomains: invitation.internalDomains ?? ['fabrikam.com', 'example.com'] });
  return parseEvent(invitation.event, options);
}

/** The expected fields that differ (empty when the invitation is parsed right). */
export function mismatches(invitation: Invitation, result: ParseResult): string[] {
  const problems: string[] = [];
  for (const [key, want] of Object.entries(invitation.expect)) {
    let got: unknown;
    switch (key) {
      case 'source':
        got = result.foundIn;
        break;
      case 'alternatives':
      case 'dialIns':
      case 'unresolved':
        got = result[key].length;
        break;
      default:
        got = (result as unknown as Record<string, unknown>)[key];
    }
    if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${key}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  }
  return problems;
}
