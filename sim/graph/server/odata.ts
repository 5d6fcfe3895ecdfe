import { SimGraphError } from '../model.js';
import type { EventView } from '../store/index.js';
import { EVENT_PROPERTIES } from '../store/index.js';

const badRequest = (message: string) => new SimGraphError(400, 'BadRequest', message);

/** Splits a query string without turning '+' into spaces (OData offsets like +02:00 survive). */
export function parseQuery(search: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of search.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(rawKey);
      value = decodeURIComponent(rawValue);
    } catch {
      throw badRequest(`Invalid URL encoding in query option '${rawKey}'.`);
    }
    if (out.has(key)) throw badRequest(`Query option '${key}' was specified more than once, but it must be specified at most once.`);
    out.set(key, value);
  }
  return out;
}

export function intOption(query: Map<string, string>, name: string, min: number, max: number): number | undefined {
  const raw = query.get(name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw badRequest(`Invalid value '${raw}' for query option '${name}'.`);
  const n = Number(raw);
  if (n < min || n > max) throw badRequest(`The value '${raw}' of query option '${name}' must be between ${min} and ${max}.`);
  return n;
}

export function parseSelect(raw: string | undefined): Set<string> | undefined {
  if (raw === undefined) return undefined;
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const name of names) if (!EVENT_PROPERTIES.has(name)) throw badRequest(`Could not find a property named '${name}' on type 'microsoft.graph.event'.`);
  return new Set(names);
}

/** `$expand=singleValueExtendedProperties($filter=id eq '...')`: the ids (lower-case) to include. */
export function parseExpand(raw: string | undefined): Set<string> | undefined {
  if (raw === undefined) return undefined;
  const m = /^\s*singleValueExtendedProperties\s*\(\s*\$filter\s*=\s*(.+)\)\s*$/i.exec(raw);
  if (m === null) throw badRequest(`Parsing OData Select and Expand failed: Could not find a property named '${raw.split('(')[0] ?? raw}' on type 'microsoft.graph.event' that can be expanded.`);
  const ids = new Set<string>();
  for (const hit of (m[1] ?? '').matchAll(/id\s+eq\s+'((?:[^']|'')*)'/gi)) ids.add((hit[1] ?? '').replace(/''/g, "'").toLowerCase());
  if (ids.size === 0) throw badRequest('The $filter of an expanded singleValueExtendedProperties must select properties by id.');
  return ids;
}

// ---- $filter ------------------------------------------------------------------------------

type Token = { kind: 'ident' | 'string' | 'number' | 'op' | 'punct'; text: string };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] ?? '';
    if (/\s/.test(c)) { i += 1; continue; }
    if (c === "'") {
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= input.length) throw badRequest('Invalid filter clause: unterminated string literal.');
        if (input[j] === "'") {
          if (input[j + 1] === "'") { text += "'"; j += 2; continue; }
          break;
        }
        text += input[j];
        j += 1;
      }
      tokens.push({ kind: 'string', text });
      i = j + 1;
      continue;
    }
    if ('(),:/'.includes(c)) { tokens.push({ kind: 'punct', text: c }); i += 1; continue; }
    const m = /^[A-Za-z0-9_.+\-:@]+/.exec(input.slice(i));
    if (m === null) throw badRequest(`Invalid filter clause: unexpected character '${c}'.`);
    let word = m[0];
    // identifiers never contain ':' (lambda variables are followed by ':'), literals may (times)
    if (!/^\d{4}-\d{2}-\d{2}/.test(word) && word.includes(':')) word = word.slice(0, word.indexOf(':'));
    const lowered = word.toLowerCase();
    if (['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'and', 'or', 'not'].includes(lowered)) tokens.push({ kind: 'op', text: lowered });
    else if (/^-?\d+(\.\d+)?$/.test(word)) tokens.push({ kind: 'number', text: word });
    else tokens.push({ kind: 'ident', text: word });
    i += word.length;
  }
  return tokens;
}

type Value = string | number | boolean | null | undefined;
type Getter = (view: EventView, scope: Map<string, unknown>) => Value | readonly unknown[];
export type EventPredicate = (view: EventView) => boolean;

function toMs(text: string): number {
  const withZone = /([zZ]|[+-]\d{2}:\d{2})$/.test(text) ? text : `${text}Z`;
  const ms = Date.parse(withZone);
  if (Number.isNaN(ms)) throw badRequest(`Invalid filter clause: '${text}' is not a valid date and time.`);
  return ms;
}

const EVENT_PATHS: Record<string, (v: EventView) => Value | readonly unknown[]> = {
  'start/datetime': (v) => v.startMs,
  'end/datetime': (v) => v.endMs,
  subject: (v) => v.event.subject,
  iscancelled: (v) => v.event.isCancelled,
  isallday: (v) => v.event.isAllDay,
  isorganizer: (v) => v.event.isOrganizer,
  type: (v) => v.type,
  icaluid: (v) => v.iCalUId,
  sensitivity: (v) => v.event.sensitivity,
  showas: (v) => v.event.showAs,
  importance: (v) => v.event.importance,
  seriesmasterid: (v) => v.seriesMasterId ?? null,
  createddatetime: (v) => v.event.createdMs,
  lastmodifieddatetime: (v) => v.event.modifiedMs,
  'organizer/emailaddress/address': (v) => v.event.organizer?.emailAddress.address ?? null,
  categories: (v) => v.event.categories,
  singlevalueextendedproperties: (v) => v.event.extendedProperties ?? [],
  transactionid: (v) => v.event.transactionId ?? null,
};
const TIME_PATHS = new Set(['start/datetime', 'end/datetime', 'createddatetime', 'lastmodifieddatetime']);

class FilterParser {
  #i = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): (view: EventView, scope: Map<string, unknown>) => boolean {
    const expr = this.or();
    if (this.#i < this.tokens.length) throw badRequest(`Invalid filter clause: unexpected '${this.tokens[this.#i]?.text ?? ''}'.`);
    return expr;
  }

  private peek(): Token | undefined { return this.tokens[this.#i]; }
  private next(): Token {
    const t = this.tokens[this.#i++];
    if (t === undefined) throw badRequest('Invalid filter clause: unexpected end of expression.');
    return t;
  }
  private expect(text: string): void {
    const t = this.next();
    if (t.text !== text) throw badRequest(`Invalid filter clause: expected '${text}' but found '${t.text}'.`);
  }

  private or(): (v: EventView, s: Map<string, unknown>) => boolean {
    let left = this.and();
    while (this.peek()?.text === 'or' && this.peek()?.kind === 'op') {
      this.next();
      const l = left;
      const r = this.and();
      left = (v, s) => l(v, s) || r(v, s);
    }
    return left;
  }

  private and(): (v: EventView, s: Map<string, unknown>) => boolean {
    let left = this.unary();
    while (this.peek()?.text === 'and' && this.peek()?.kind === 'op') {
      this.next();
      const l = left;
      const r = this.unary();
      left = (v, s) => l(v, s) && r(v, s);
    }
    return left;
  }

  private unary(): (v: EventView, s: Map<string, unknown>) => boolean {
    if (this.peek()?.text === 'not' && this.peek()?.kind === 'op') {
      this.next();
      const inner = this.unary();
      return (v, s) => !inner(v, s);
    }
    if (this.peek()?.text === '(') {
      this.next();
      const inner = this.or();
      this.expect(')');
      return inner;
    }
    return this.comparisonOrLambda();
  }

  private path(): { segments: string[] } {
    const first = this.next();
    if (first.kind !== 'ident') throw badRequest(`Invalid filter clause: expected a property but found '${first.text}'.`);
    const segments = [first.text];
    while (this.peek()?.text === '/') {
      this.next();
      const seg = this.next();
      if (seg.kind !== 'ident') throw badRequest(`Invalid filter clause: bad path after '${segments.join('/')}'.`);
      segments.push(seg.text);
    }
    return { segments };
  }

  private comparisonOrLambda(): (v: EventView, s: Map<string, unknown>) => boolean {
    const head = this.peek();
    if (head?.kind === 'ident' && ['contains', 'startswith'].includes(head.text.toLowerCase()) && this.tokens[this.#i + 1]?.text === '(') {
      this.next();
      this.next();
      const target = this.operand();
      this.expect(',');
      const lit = this.next();
      if (lit.kind !== 'string') throw badRequest('Invalid filter clause: expected a string literal.');
      this.expect(')');
      const needle = lit.text.toLowerCase();
      const fn = head.text.toLowerCase();
      return (v, s) => {
        const value = target(v, s);
        if (typeof value !== 'string') return false;
        return fn === 'contains' ? value.toLowerCase().includes(needle) : value.toLowerCase().startsWith(needle);
      };
    }
    const { segments } = this.path();
    const last = segments[segments.length - 1]?.toLowerCase();
    if ((last === 'any' || last === 'all') && this.peek()?.text === '(') {
      const collection = this.resolve(segments.slice(0, -1));
      this.next();
      const variable = this.next();
      this.expect(':');
      const body = this.or();
      this.expect(')');
      const isAll = last === 'all';
      return (v, s) => {
        const items = collection(v, s);
        if (!Array.isArray(items)) return false;
        const test = (item: unknown) => {
          const scope = new Map(s);
          scope.set(variable.text, item);
          return body(v, scope);
        };
        return isAll ? items.every(test) : items.some(test);
      };
    }
    const getter = this.resolve(segments);
    const op = this.next();
    if (op.kind !== 'op' || !['eq', 'ne', 'gt', 'ge', 'lt', 'le'].includes(op.text)) throw badRequest(`Invalid filter clause: expected a comparison operator but found '${op.text}'.`);
    const lit = this.next();
    const isTime = TIME_PATHS.has(segments.join('/').toLowerCase());
    let literal: Value;
    if (lit.kind === 'string') literal = isTime ? toMs(lit.text) : lit.text;
    else if (lit.kind === 'number') literal = Number(lit.text);
    else if (lit.kind === 'ident' && ['true', 'false'].includes(lit.text.toLowerCase())) literal = lit.text.toLowerCase() === 'true';
    else if (lit.kind === 'ident' && lit.text.toLowerCase() === 'null') literal = null;
    else if (lit.kind === 'ident' && isTime) literal = toMs(lit.text);
    else throw badRequest(`Invalid filter clause: '${lit.text}' is not a literal.`);
    return (v, s) => compare(getter(v, s) as Value, op.text, literal);
  }

  private operand(): Getter {
    return this.resolve(this.path().segments);
  }

  private resolve(segments: string[]): Getter {
    const [head, ...rest] = segments;
    if (head === undefined) throw badRequest('Invalid filter clause.');
    return (v, s) => {
      if (s.has(head)) {
        let value: unknown = s.get(head);
        for (const seg of rest) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[seg] : undefined;
        return value as Value;
      }
      const fn = EVENT_PATHS[segments.join('/').toLowerCase()];
      if (fn === undefined) throw badRequest(`Could not find a property named '${segments.join('/')}' on type 'microsoft.graph.event'.`);
      return fn(v);
    };
  }
}

function compare(a: Value, op: string, b: Value): boolean {
  if (typeof a === 'string' && typeof b === 'string' && (op === 'eq' || op === 'ne')) {
    const same = a.toLowerCase() === b.toLowerCase();
    return op === 'eq' ? same : !same;
  }
  switch (op) {
    case 'eq': return a === b;
    case 'ne': return a !== b;
    case 'gt': return a !== null && a !== undefined && b !== null && b !== undefined && a > b;
    case 'ge': return a !== null && a !== undefined && b !== null && b !== undefined && a >= b;
    case 'lt': return a !== null && a !== undefined && b !== null && b !== undefined && a < b;
    default: return a !== null && a !== undefined && b !== null && b !== undefined && a <= b;
  }
}

/** Compiles `$filter` for events; throws 400 BadRequest on anything it does not understand. */
export function parseEventFilter(raw: string | undefined): EventPredicate | undefined {
  if (raw === undefined) return undefined;
  if (raw.trim() === '') throw badRequest('Invalid filter clause: empty expression.');
  const expr = new FilterParser(tokenize(raw)).parse();
  const probeScope = new Map<string, unknown>();
  return (view) => expr(view, probeScope);
}

/** Validates the filter once against a dummy so bad property names fail even on empty collections. */
export function checkFilter(predicate: EventPredicate | undefined, sample: EventView | undefined): void {
  if (predicate !== undefined && sample !== undefined) predicate(sample);
}

export type EventComparator = (a: EventView, b: EventView) => number;

export function parseOrderBy(raw: string | undefined): EventComparator | undefined {
  if (raw === undefined) return undefined;
  const keys = raw.split(',').map((part) => {
    const [path = '', dir = 'asc', extra] = part.trim().split(/\s+/);
    const getter = EVENT_PATHS[path.toLowerCase()];
    if (getter === undefined || extra !== undefined || !['asc', 'desc'].includes(dir.toLowerCase())) {
      throw badRequest(`Invalid $orderby clause: '${part.trim()}'.`);
    }
    return { getter, sign: dir.toLowerCase() === 'desc' ? -1 : 1 };
  });
  return (a, b) => {
    for (const k of keys) {
      const x = k.getter(a) as Value;
      const y = k.getter(b) as Value;
      if (x === y) continue;
      if (x === null || x === undefined) return -k.sign;
      if (y === null || y === undefined) return k.sign;
      return (x < y ? -1 : 1) * k.sign;
    }
    return 0;
  };
}

/** calendarView / delta window bounds: explicit offsets honoured, no offset means UTC. */
export function parseWindowBound(raw: string | undefined, name: string): number {
  if (raw === undefined || raw === '') {
    throw new SimGraphError(400, 'ErrorInvalidParameter', 'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.');
  }
  const withZone = /([zZ]|[+-]\d{2}:?\d{2})$/.test(raw) ? raw : `${raw}Z`;
  const ms = Date.parse(withZone.replace(/\.(\d{3})\d+/, '.$1'));
  if (Number.isNaN(ms)) throw new SimGraphError(400, 'ErrorInvalidParameter', `The parameter '${name}' has an invalid value '${raw}'.`);
  return ms;
}

/** `Prefer` header preferences (several headers or comma-separated). */
export function parsePrefer(header: string | string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  for (const value of values) {
    for (const part of value.split(',')) {
      const eq = part.indexOf('=');
      const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
      const val = eq < 0 ? '' : part.slice(eq + 1).trim().replace(/^"|"$/g, '');
      if (key !== '') out.set(key, val);
    }
  }
  return out;
}
