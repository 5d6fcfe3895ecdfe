/**
 * Zone names as Graph accepts them: any Windows zone name ("W. Europe Standard Time", matched
 * case-insensitively, mapped through the CLDR table of the windows-iana package, territory 001) or
 * an IANA name the engine's tz database knows ("Europe/Berlin", validated with Intl). Results and
 * the compiled ZoneRules are cached per spelling; the cache is bounded by the names actually used.
 */
import { WINDOWS_TO_IANA_MAP } from 'windows-iana';
import { ZoneRules } from './zone-rules.js';

/** Windows name (lower case) -> IANA name that Intl accepts. */
const windowsToIana = new Map<string, string>();

function intlZone(name: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

for (const entry of WINDOWS_TO_IANA_MAP) {
  if (entry.territory !== '001') continue;
  const key = entry.windowsName.toLowerCase();
  if (windowsToIana.has(key)) continue;
  const iana = entry.iana.find((candidate) => intlZone(candidate) !== undefined);
  if (iana !== undefined) windowsToIana.set(key, iana);
}

/** Legacy Exchange spellings seen in Graph payloads. */
const SPECIAL: Readonly<Record<string, string>> = {
  'tzone://microsoft/utc': 'UTC',
  utc: 'UTC',
};

const resolved = new Map<string, string | null>();
const rulesByIana = new Map<string, ZoneRules>();

/** IANA name for a Windows or IANA zone name; undefined if Graph would not know it. */
export function toIanaZone(name: string): string | undefined {
  const cached = resolved.get(name);
  if (cached !== undefined) return cached ?? undefined;
  let result: string | undefined;
  if (typeof name === 'string' && name.length > 0 && name.length <= 128) {
    const lower = name.toLowerCase();
    result = SPECIAL[lower] ?? windowsToIana.get(lower);
    if (result === undefined && !name.includes(' ')) {
      // Intl accepts IANA names (any case) and also offsets like "+01:00"; Graph does not.
      result = /^[+-]\d/.test(name) ? undefined : intlZone(name);
    }
  }
  if (resolved.size > 10_000) resolved.clear();
  resolved.set(name, result ?? null);
  return result;
}

/** Offset tables for a zone name, or undefined if the name is unknown. */
export function zoneRules(name: string): ZoneRules | undefined {
  const iana = toIanaZone(name);
  if (iana === undefined) return undefined;
  let rules = rulesByIana.get(iana);
  if (rules === undefined) {
    rules = new ZoneRules(iana);
    rulesByIana.set(iana, rules);
  }
  return rules;
}
