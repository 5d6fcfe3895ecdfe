/**
 * The HTTP client of `npm run bench -- api`, in a process of its own so the API under test does
 * not share its event loop (on 2 cores, client and server then each get a core when the machine
 * is otherwise idle). One line of JSON in on stdin: `{ url, headers, mode, rate, seconds,
 * concurrency, warmupSeconds }` (headers stay off the command line); one line of JSON out: p50/p99
 * latency, answers per second, errors.
 *
 * - `open`: `rate` GETs per second for `seconds` on keep-alive sockets, each sent at its due time
 *   and timed from it (a slow answer cannot hold back the next ones); a request still unanswered
 *   5 s after the last was due counts as infinitely slow and as an error.
 * - `closed`: `concurrency` clients back to back: the most the server answers.
 *
 * With `spread`, each request goes to one of those targets (url + headers, e.g. many users each
 * with their own token), picked uniformly at random, instead of `url`.
 */
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export interface LoadSpec {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly mode: 'open' | 'closed';
  readonly rate: number;
  readonly seconds: number;
  readonly concurrency: number;
  /** Closed loop of 4 clients first (JIT, sockets, caches), not measured. */
  readonly warmupSeconds: number;
  /** Targets to spread the requests over (uniformly at random); `url` and `headers` are then unused. */
  readonly spread?: readonly Target[];
}

export interface Target {
  readonly url: string;
  readonly headers: Record<string, string>;
}

export interface LoadResult {
  readonly p50: number;
  readonly p99: number;
  /** 200 answers per second over the measured time (from the first due time to the last answer). */
  readonly achieved: number;
  readonly errors: number;
  readonly sent: number;
  /** Process CPU of this client over the measured phase, ms (user + system). */
  readonly clientCpuMs: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

class Driver {
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 256 });
  readonly #targets: readonly Target[];
  readonly latencies: number[] = [];
  errors = 0;
  answered = 0;
  lastAnswer = 0;

  constructor(spec: LoadSpec) {
    this.#targets = spec.spread !== undefined && spec.spread.length > 0 ? spec.spread : [{ url: spec.url, headers: spec.headers }];
  }

  get(due: number): Promise<void> {
    const target = this.#targets.length === 1 ? this.#targets[0]! : this.#targets[Math.floor(Math.random() * this.#targets.length)]!;
    return new Promise((resolve) => {
      const req = request(target.url, { agent: this.#agent, headers: target.headers }, (res) => {
        res.resume();
        res.on('end', () => {
          this.answered += 1;
          this.lastAnswer = performance.now();
          if (res.statusCode === 200) this.latencies.push(this.lastAnswer - due);
          else this.errors += 1;
          resolve();
        });
      });
      req.on('error', () => {
        this.errors += 1;
        resolve();
      });
      req.end();
    });
  }

  async finish(pending: readonly Promise<void>[], sentCount: () => number, graceMs: number, start: number): Promise<Omit<LoadResult, 'clientCpuMs'>> {
    await Promise.race([Promise.all(pending), sleep(graceMs)]);
    const sent = sentCount();
    const unanswered = Math.max(0, sent - this.answered);
    this.#agent.destroy();
    const sorted = [...this.latencies, ...Array<number>(unanswered).fill(Number.POSITIVE_INFINITY)].sort((a, b) => a - b);
    const elapsed = (Math.max(this.lastAnswer, start + 1) - start) / 1000;
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), achieved: this.latencies.length / elapsed, errors: this.errors + unanswered, sent };
  }
}

async function openLoop(spec: LoadSpec): Promise<Omit<LoadResult, 'clientCpuMs'>> {
  const driver = new Driver(spec);
  const total = Math.round(spec.rate * spec.seconds);
  const pending: Promise<void>[] = [];
  const start = performance.now() + 20;
  for (let i = 0; i < total; i += 1) {
    const due = start + (i * 1000) / spec.rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    pending.push(driver.get(due));
  }
  return driver.finish(pending, () => total, 5_000, start);
}

async function closedLoop(spec: LoadSpec, concurrency: number, seconds: number): Promise<Omit<LoadResult, 'clientCpuMs'>> {
  const driver = new Driver(spec);
  const start = performance.now();
  const end = start + seconds * 1000;
  let sent = 0;
  const client = async (): Promise<void> => {
    while (performance.now() < end) {
      sent += 1;
      await driver.get(performance.now());
    }
  };
  const clients = Array.from({ length: concurrency }, client);
  return driver.finish(clients, () => sent, 30_000, start);
}

export async function drive(spec: LoadSpec): Promise<LoadResult> {
  if (spec.warmupSeconds > 0) await closedLoop(spec, 4, spec.warmupSeconds);
  const cpu = process.cpuUsage();
  const result = spec.mode === 'open' ? await openLoop(spec) : await closedLoop(spec, spec.concurrency, spec.seconds);
  const used = process.cpuUsage(cpu);
  return { ...result, clientCpuMs: (used.user + used.system) / 1000 };
}

async function main(): Promise<void> {
  const lines = createInterface({ input: process.stdin });
  const spec = await new Promise<LoadSpec>((resolve) => lines.once('line', (line) => resolve(JSON.parse(line) as LoadSpec)));
  lines.close();
  const result = await drive(spec);
  // JSON has no Infinity: an unanswered p99 goes out as null.
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
