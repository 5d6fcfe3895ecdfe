/**
 * String and small-object interning: scenario data repeats subjects, bodies, zone names and
 * attendees across hundreds of thousands of events, so one copy of each is kept.
 */
const strings = new Map<string, string>();
const objects = new Map<string, object>();

export function intern(value: string): string {
  if (value.length > 4096) return value;
  const known = strings.get(value);
  if (known !== undefined) return known;
  strings.set(value, value);
  return value;
}

export function internOptional(value: string | undefined): string | undefined {
  return value === undefined ? undefined : intern(value);
}

/** Returns a frozen shared copy of a JSON-able object, keyed by its JSON text. */
export function internObject<T extends object>(value: T): T {
  const key = JSON.stringify(value);
  if (key.length > 4096) return Object.freeze(value);
  const known = objects.get(key);
  if (known !== undefined) return known as T;
  const frozen = Object.freeze(value);
  objects.set(key, frozen);
  return frozen;
}

export function internStats(): { strings: number; objects: number } {
  return { strings: strings.size, objects: objects.size };
}

const keyed = new Map<string, object>();

/** Interns an object under a caller-built key (cheaper than JSON for hot paths). */
export function internKeyed<T extends object>(key: string, make: () => T): T {
  const known = keyed.get(key);
  if (known !== undefined) return known as T;
  const value = Object.freeze(make());
  if (keyed.size < 2_000_000) keyed.set(key, value);
  return value;
}
