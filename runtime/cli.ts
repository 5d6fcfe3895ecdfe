import type { Kafka } from 'kafkajs';
import type { Command } from 'commander';
import { listDeadLetters, replayDeadLetters } from './dlq.js';

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
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print JSON lines')
    .action(async (topic: string, opts: { limit: string; json?: boolean }) => {
      const { kafka, prefix } = deps.kafka();
      const letters = await listDeadLetters(kafka, { topic, prefix, limit: Number(opts.limit) });
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
    .description('Produce dead letters again to their source topic (original key, bytes and headers)')
    .argument('<topic>', 'source topic or its dead-letter topic')
    .option('--only <list>', 'comma-separated partition:offset of the dead-letter topic (default: all)')
    .action(async (topic: string, opts: { only?: string }) => {
      const { kafka, prefix } = deps.kafka();
      const only = opts.only?.split(',').map((s) => s.trim()).filter((s) => s !== '');
      const result = await replayDeadLetters(kafka, only === undefined ? { topic, prefix } : { topic, prefix, only });
      print(`Replayed ${result.replayed} dead letter(s) to ${result.topics.join(', ')}.`);
    });
}
