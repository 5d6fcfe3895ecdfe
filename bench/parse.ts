import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseEvent } from '../processors/parse/index.js';
import type { BenchOptions, BenchReport, BenchRow } from './report.js';

/**
 * `npm run bench -- parse`: invitations parsed per second (processors/parse `parseEvent`) on the
 * invitation corpus and on 1 MB and 5 MB bodies, against the floor: a plain
 * `String.prototype.indexOf` scan of the same bodies for "http", in the same run (alternating
 * slices, so load from other processes hits both alike). The ratio is parse ÷ floor.
 * Adversarial rows: the same hostile string at 1 MB and 4 MB; a ratio near 0.25 is linear time.
 */

const CORPUS = join(dirname(fileURLToPath(import.meta.url)), '../test/fixtures/invitations');
let sink = 0;

function corpusEvents(): Record<string, unknown>[] {
  return ['tuning', 'held-out'].flatMap((set) =>
    readdirSync(join(CORPUS, set))
      .filter((file) => file.endsWith('.json'))
      .map((file) => (JSON.parse(readFileSync(join(CORPUS, set, file), 'utf8')) as { event: Record<string, unknown> }).event),
  );
}

function bodyOf(event: Record<string, unknown>): string {
  const body = event.body as { content?: unknown } | undefined;
  const location = event.location as { displayName?: unknown } | undefined;
  return `${typeof location?.displayName === 'string' ? location.displayName : ''}${typeof body?.content === 'string' ? body.content : ''}`;
}

function indexOfScan(text: string): number {
  let count = 0;
  for (let at = text.indexOf('http'); at >= 0; at = text.indexOf('http', at + 4)) count += 1;
  return count;
}

const TEAMS = 'https://teams.microsoft.com/l/meetup-join/19%3ameeting_QUJD%40thread.v2/0?context=%7b%22Tid%22%3a%22t%22%7d';
function bigHtml(bytes: number): string {
  const filler = '<p class="MsoNormal">Agenda item with <b>bold</b> text, see https://intranet.fabrikam.com/wiki/page?id=42 &amp; <a href="https://intranet.fabrikam.com/x">notes</a>; call +47 21 00 00 00.</p>\n';
  return `<html><body>${filler.repeat(Math.ceil(bytes / filler.length))}<div><a href="${TEAMS}">Click here to join the meeting</a><br>Meeting ID: 345 678 901 234</div></body></html>`;
}
function bigText(bytes: number): string {
  const filler = 'Minutes of the last meeting: decisions, owners and dates. Details at https://intranet.fabrikam.com/wiki/page?id=42 or mail ops@fabrikam.com.\n';
  return `${filler.repeat(Math.ceil(bytes / filler.length))}\nJoin Zoom Meeting\nhttps://zoom.us/j/91234567890?pwd=abc\nMeeting ID: 912 3456 7890\n`;
}

interface Measured {
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

/** `fn` runs `units` operations (invitations) per call; alternating slices of baseline and candidate. */
function compare(baseline: () => void, candidate: () => void, units: number, durationMs: number, rounds = 4): [Measured, Measured] {
  baseline();
  candidate();
  const totals = [
    { calls: 0, elapsed: 0, samples: [] as number[] },
    { calls: 0, elapsed: 0, samples: [] as number[] },
  ];
  for (let round = 0; round < rounds; round += 1) {
    for (const [index, fn] of [baseline, candidate].entries()) {
      const total = totals[index]!;
      const start = performance.now();
      do {
        const t0 = performance.now();
        fn();
        total.samples.push(performance.now() - t0);
        total.calls += 1;
      } while (performance.now() - start < durationMs / rounds / 2);
      total.elapsed += performance.now() - start;
    }
  }
  const summarize = (t: (typeof totals)[number]): Measured => {
    t.samples.sort((a, b) => a - b);
    const pick = (q: number): number => Number((t.samples[Math.min(t.samples.length - 1, Math.floor(q * t.samples.length))] ?? 0).toFixed(3));
    const perSec = ((t.calls * units) / t.elapsed) * 1000;
    return { opsPerSec: perSec >= 100 ? Math.round(perSec) : Number(perSec.toFixed(2)), p50Ms: pick(0.5), p99Ms: pick(0.99) };
  };
  return [summarize(totals[0]!), summarize(totals[1]!)];
}

export function run(options: BenchOptions): Promise<BenchReport> {
  const durationMs = options.quick ? 1_000 : 6_000;
  const rows: BenchRow[] = [];
  const events = corpusEvents();
  const bodies = events.map(bodyOf);
  const total = 6;
  let done = 0;
  const step = (label: string): void => options.progress(++done, total, label);

  const [cFloor, cParse] = compare(
    () => {
      for (const body of bodies) sink += indexOfScan(body);
    },
    () => {
      for (const event of events) sink += parseEvent(event).alternatives.length;
    },
    events.length,
    durationMs,
  );
  rows.push({ case: `indexOf "http" — corpus (${events.length} invitations)`, ...cFloor, note: 'floor' });
  rows.push({ case: 'parse — corpus', baseline: `indexOf "http" — corpus (${events.length} invitations)`, ...cParse, note: 'invitations/s' });
  step('corpus');

  for (const [label, content, contentType] of [
    ['1 MB HTML body', bigHtml(1_000_000), 'html'],
    ['1 MB text body', bigText(1_000_000), 'text'],
    ['5 MB HTML body', bigHtml(5_000_000), 'html'],
  ] as const) {
    const event = { body: { contentType, content } };
    const [floor, parsed] = compare(
      () => {
        sink += indexOfScan(content);
      },
      () => {
        sink += parseEvent(event).joinUrl === null ? 0 : 1;
      },
      1,
      durationMs,
    );
    rows.push({ case: `indexOf "http" — ${label}`, ...floor, note: 'floor' });
    rows.push({ case: `parse — ${label}`, baseline: `indexOf "http" — ${label}`, ...parsed, note: `p50 ${parsed.p50Ms} ms per body` });
    step(label);
  }

  const families: Record<string, string> = { 'a@': 'a@', '<div>': '<div>', '> link': '> https://zoom.us/j/123456789\n', 'http://': 'http://' };
  for (const [name, unit] of Object.entries(families)) {
    const small = unit.repeat(Math.ceil(1_000_000 / unit.length));
    const large = unit.repeat(Math.ceil(4_000_000 / unit.length));
    const [one, four] = compare(
      () => {
        sink += parseEvent({ body: { contentType: 'html', content: small } }).dialIns.length;
      },
      () => {
        sink += parseEvent({ body: { contentType: 'html', content: large } }).dialIns.length;
      },
      1,
      options.quick ? 1_000 : 3_000,
    );
    rows.push({ case: `adversarial ${name} — 1 MB`, ...one });
    rows.push({ case: `adversarial ${name} — 4 MB`, baseline: `adversarial ${name} — 1 MB`, ...four, note: 'ratio 0.25 = linear' });
  }
  step('adversarial');
  if (sink === -1) console.log(sink);
  return Promise.resolve({ name: 'parse', rows });
}
