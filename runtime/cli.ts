import type { Kafka } from 'kafkajs';
import cliProgress from 'cli-progress';
import { InvalidArgumentError, type Command } from 'commander';
import { listDeadLetters, replayDeadLetters, type ReplayProgress } from './dlq.js';

/** commander parser: a whole number ≥ 1 (`--limit abc`, `--limit 0`, `--limit 1.5` are refused). */
export function parseLimit(value: string): number {
  if (!/^[1-9]\d{0,14}$/.test(value.trim())) throw new InvalidArgumentError('must be a whole number of at least 1.');
  return Number(value.trim());
}

/** commander parser: `partition:offset` of the dead-letter topic, comma-separated. */
export function parseOnly(value: string): string[] {
  const items = value.split(',').map((item) => item.trim()).filter((item) => item !== '');
  const bad = items.filter((item) => !/^\d{1,9}:\d{1,19}$/.test(item));
  if (items.length === 0 || bad.length > 0) throw new InvalidArgumentError(`write partition:offset pairs separated by commas (e.g. 0:17,2:5)${bad.length > 0 ? `; not one: ${bad.slice(0, 3).join(', ')}` : ''}.`);
  return items;
}

/** A progress bar on a terminal; plain lines (every 10 %) otherwise, e.g. in a log file. */
function replayProgress(): { update: (progress: ReplayProgress) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar({ format: ' replay {bar} {percentage}% | {value}/{total} read | {replayed} replayed, {skipped} skipped', stream: process.stderr }, cliProgress.Presets.shades_classic);
    let started = false;
    return {
      update: (p) => {
        if (!started) {
          bar.start(p.total, p.read, { replayed: p.replayed, skipped: p.skipped });
          started = true;
        }
        bar.update(p.read, { replayed: p.replayed, skipped: p.skipped });
      },
      stop: () => bar.stop(),
    };
  }
  let nextTenth = 0;
  return {
    update: (p) => {
      const tenth = p.total === 0 ? 10 : Math.floor((p.read / p.total) * 10);
      if (tenth < nextTenth) return;
      nextTenth = tenth + 1;
      process.stderr.write(`replay: ${p.read}/${p.total} read, ${p.replayed} replayed, ${p.skipped} skipped\n`);
    },
    stop: () => undefined,
  };
}

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export interface DlqCommandDeps {
  /** A Kafka client of the configured cluster and the deployment's topic prefix (the composition root builds it). */
  readonly kafka: () => { kafka: Kafka; prefix: string };
}

/** `hycal dlq list <topic>` and `hycal dlq replay <topic>`. */
export function registerDlqCommands(program: Command, deps: DlqCommandDeps): void {
  const dlq = program.command('dlq').description('Inspect and re-drive dead letters (<topic>.dlq.v1)');
  dlq
    .command('list')
    .description('List the dead letters of a topic: source offset, error code and message, attempts, processor')
    .argument('<topic>', 'source topic (e.g. calendar.raw.v1) or its dead-letter topic')
    .option('--limit <n>', 'at most this many', parseLimit, 100)
    .option('--json', 'print JSON lines')
    .action(async (topic: string, opts: { limit: number; json?: boolean }) => {
      const { kafka, prefix } = deps.kafka();
      const letters = await listDeadLetters(kafka, { topic, prefix, limit: opts.limit });
      if (opts.json === true) {
        for (const letter of letters) print(JSON.stringify(letter));
        return;
      }
      if (letters.length === 0) {
        print(`No dead letters for ${topic}.`);
        return;
      }
      for (const l of letters) {
        print(`${l.partition}:${l.offset}  from ${l.source.topic}[${l.source.partition}]@${l.source.offset}  key=${l.key ?? '-'}  ${l.error.code} after ${l.error.attempts} attempt(s) in ${l.error.processor}: ${l.error.message}`);
      }
      print(`${letters.length} dead letter(s). Re-drive with: hycal dlq replay ${topic} [--only p:o,...]`);
    });
  dlq
    .command('replay')
    .description('Produce dead letters again to the selected source topic (original key, bytes and headers), streaming in chunks under the broker limit')
    .argument('<topic>', 'source topic or its dead-letter topic; records go to this source topic only')
    .option('--only <list>', 'comma-separated partition:offset of the dead-letter topic (default: all)', parseOnly)
    .option('--limit <n>', 'replay at most this many (from the start of the dead-letter topic)', parseLimit)
    .action(async (topic: string, opts: { only?: string[]; limit?: number }) => {
      const { kafka, prefix } = deps.kafka();
      const progress = replayProgress();
      try {
        const result = await replayDeadLetters(
          kafka,
          { topic, prefix, ...(opts.only === undefined ? {} : { only: opts.only }), ...(opts.limit === undefined ? {} : { limit: opts.limit }) },
          { onProgress: progress.update },
        );
        progress.stop();
        print(`Replayed ${result.replayed} dead letter(s) to ${result.topics.join(', ') || '(none)'} in ${result.batches} batch(es).`);
        if (result.skipped > 0) {
          print(`Skipped ${result.skipped} dead letter(s) whose hc-source-topic names another topic than ${topic}; replay them from that topic's own dead letters.`);
          process.exitCode = 1;
        }
      } finally {
        progress.stop();
      }
    });
}
