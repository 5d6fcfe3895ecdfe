import { readFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { InvalidArgumentError, type Command } from 'commander';
import { buildCodec, buildKafka, createAppContext, withKeyring, type AppContext } from '../app/index.js';
import { grantedDecryptor, parseKeyGrant, replayTopic, ReplayInputError, ReplayGrantError, type ReplayResult, type ReplayStart, type ReplayTarget } from '../replay/index.js';

interface ReplayFlags {
  fromBeginning?: boolean;
  fromOffset?: number;
  fromTime?: number;
  until?: number;
  toFile?: string;
  toTopic?: string;
  toGroup?: string;
  decrypt?: boolean;
  grant?: string;
  progress: boolean;
}

const RELATIVE = /^-(\d+)(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An ISO-8601 instant, epoch milliseconds, or a time before now (`-2h`, `-30m`, `-7d`). */
export function parseInstant(value: string, now: number = Date.now()): number {
  const relative = RELATIVE.exec(value);
  if (relative !== null) return now - Number(relative[1]) * UNIT_MS[relative[2]!]!;
  if (/^\d{10,}$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new InvalidArgumentError('must be an ISO-8601 instant (2026-12-03T09:00:00Z), epoch milliseconds, or a time ago (-2h, -30m, -7d).');
  return parsed;
}

function wholeOffset(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number ≥ 0.');
  return n;
}

function startOf(flags: ReplayFlags): ReplayStart {
  const given = [flags.fromBeginning === true, flags.fromOffset !== undefined, flags.fromTime !== undefined].filter(Boolean).length;
  if (given !== 1) throw new ReplayInputError('Say where the replay starts with exactly one of --from-beginning, --from-offset N or --from-time T.');
  if (flags.fromOffset !== undefined) return { kind: 'offset', offset: flags.fromOffset };
  if (flags.fromTime !== undefined) return { kind: 'time', at: flags.fromTime };
  return { kind: 'beginning' };
}

function targetOf(flags: ReplayFlags): ReplayTarget {
  const targets: ReplayTarget[] = [];
  if (flags.toFile !== undefined) targets.push({ kind: 'file', path: flags.toFile });
  if (flags.toTopic !== undefined) targets.push({ kind: 'topic', name: flags.toTopic });
  if (flags.toGroup !== undefined) targets.push({ kind: 'group', groupId: flags.toGroup });
  if (targets.length !== 1) throw new ReplayInputError('Say where the records go with exactly one of --to-file PATH, --to-topic NAME or --to-group NAME.');
  return targets[0]!;
}

/** The bar on a terminal; elsewhere one line every 10 % (CI logs, pipes). */
function progressReporter(enabled: boolean): { update: (done: number, total: number) => void; stop: () => void } {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  if (process.stderr.isTTY !== true) {
    let lastTenth = -1;
    return {
      update: (done, total) => {
        const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
        if (tenth !== lastTenth) process.stderr.write(`hycal replay: ${done}/${total} offsets\n`);
        lastTenth = tenth;
      },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar({ format: ' replay {bar} {percentage}% | {value}/{total} offsets | {eta_formatted} left', hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update: (done, total) => {
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(done);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

/** Runs one replay for the parsed flags; exported for the command's tests. */
export async function runReplay(context: AppContext, topic: string, flags: ReplayFlags): Promise<ReplayResult> {
  const from = startOf(flags);
  const target = targetOf(flags);
  if (flags.decrypt === true && flags.grant === undefined) throw new ReplayGrantError('--decrypt needs --grant FILE: an explicit key grant naming the tenant and the purpose (see docs/operations.md, Replay).');
  if (flags.grant !== undefined && flags.decrypt !== true) throw new ReplayInputError('--grant is only used with --decrypt; without --decrypt ciphertext stays ciphertext.');
  const progress = progressReporter(flags.progress);
  const kafka = buildKafka(context, 'hycal-replay');
  const logger = context.logger('replay');
  const base = {
    kafka,
    prefix: context.config.stack.topicPrefix,
    topic,
    from,
    ...(flags.until === undefined ? {} : { until: flags.until }),
    target,
    clock: context.clock,
    logger,
    onProgress: progress.update,
  };
  try {
    const codec = target.kind === 'file' ? await buildCodec(context) : undefined;
    const withCodec = codec === undefined ? base : { ...base, codec };
    if (flags.decrypt !== true) return await replayTopic(withCodec);
    let text: string;
    try {
      text = readFileSync(flags.grant!, 'utf8');
    } catch (error) {
      throw new ReplayGrantError(`The key grant file ${flags.grant!} cannot be read (${(error as { code?: string }).code ?? 'error'}).`, { cause: error });
    }
    const grant = parseKeyGrant(text, context.clock.now());
    return await withKeyring(context, async ({ keyring }) => {
      const decryptor = grantedDecryptor({ keyring, grant, topic, clock: context.clock, logger });
      try {
        return await replayTopic({ ...withCodec, decryptor });
      } finally {
        decryptor.close();
      }
    });
  } finally {
    progress.stop();
  }
}

/** `hycal replay TOPIC`: re-drives a topic from an offset or a time into a file, a topic or a new consumer group. */
export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description('re-drive a topic from an offset or a time into a file (NDJSON), another topic or a new consumer group, without disturbing live consumers')
    .argument('<topic>', 'topic name without the deployment prefix (calendar.meetings.v1, obtp.devices.v1, …)')
    .option('--from-beginning', 'start at the oldest record each partition still holds')
    .option('--from-offset <n>', 'start at this offset in every partition', wholeOffset)
    .option('--from-time <time>', 'start at the first record at or after this time (ISO-8601, epoch ms, or -2h/-30m/-7d)', (v) => parseInstant(v))
    .option('--until <time>', 'stop before the first record at or after this time (default: the end when the replay starts)', (v) => parseInstant(v))
    .option('--to-file <path>', 'write NDJSON, one Avro-decoded record a line (encrypted fields stay ciphertext, base64)')
    .option('--to-topic <name>', 'copy the records (bytes, keys, headers) into this topic, created when missing')
    .option('--to-group <name>', 'set a NEW consumer group\'s offsets to the start, so its consumers re-read from there')
    .option('--decrypt', 'open the granted tenant\'s encrypted fields (file output only; needs --grant)')
    .option('--grant <file>', 'key grant (JSON: tenantId, purpose, grantedBy, expiresAt); its use is audited in the log')
    .option('--no-progress', 'no progress bar')
    .action(async (topic: string, flags: ReplayFlags) => {
      const result = await runReplay(createAppContext(), topic, flags);
      const where = flags.toFile ?? flags.toTopic ?? `group ${flags.toGroup ?? ''}`;
      const offsets = result.ranges.reduce((sum, r) => sum + r.end - r.start, 0);
      const counts = flags.toGroup !== undefined ? `${offsets} offsets to re-read` : `${result.records} records${result.undecodable > 0 ? `, ${result.undecodable} undecodable` : ''}${flags.decrypt === true ? `, ${result.decrypted} decrypted` : ''}${result.expired > 0 ? `, ${result.expired} expired (deleted by the topic's retention before they were read)` : ''}`;
      console.log(`hycal replay: ${topic} → ${where}: ${counts}`);
    });
}
