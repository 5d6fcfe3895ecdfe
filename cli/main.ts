import { Command, CommanderError } from 'commander';
import { buildKafka, lazyAppContext, meetingDocumentLayout, stackTargetOf, withKeyring } from '../app/index.js';
import { isHcError } from '../common/index.js';
import { registerBenchCommands } from '../bench/cli.js';
import { registerKmsCommands } from '../kms/index.js';
import { registerDlqCommands } from '../runtime/index.js';
import { registerSimCommand } from '@hybrid-calendar/sim-graph/cli';
import { registerStackCommands } from '../stack/index.js';
import { registerConfigCommands } from './config.js';
import { registerDocsCommands } from './docs.js';
import { registerParseCommand } from '../processors/parse/index.js';
import { registerConnectorCommand } from '../app/index.js';
import { registerServeCommand } from './serve.js';
import { registerDemoCommand } from './demo.js';
import { registerGatewayCommand } from './gateway.js';
import { registerReplayCommand } from './replay.js';

/**
 * The `hycal` command. Each area registers its sub-commands here; the handlers live beside the
 * code they drive (stack/, sim/graph/, kms/, runtime/...) and get what they work on from the
 * composition root (app/), which reads the configuration once, when a command first needs it.
 */
export function buildProgram(): Command {
  const context = lazyAppContext();
  const program = new Command('hycal')
    .description('hybrid-calendar: Hybrid Calendar service for Microsoft 365')
    .exitOverride()
    .showHelpAfterError();
  registerStackCommands(program, { target: () => stackTargetOf(context()) });
  registerBenchCommands(program);
  registerSimCommand(program);
  registerKmsCommands(program, {
    withKeyring: (fn) => withKeyring(context(), fn),
    logger: (name) => context().logger(name),
    documentLayout: meetingDocumentLayout,
  });
  registerDlqCommands(program, {
    kafka: () => ({ kafka: buildKafka(context(), 'hycal-dlq'), prefix: context().config.stack.topicPrefix }),
  });
  registerConfigCommands(program);
  registerDocsCommands(program);
  registerParseCommand(program);
  registerConnectorCommand(program);
  registerServeCommand(program);
  registerDemoCommand(program);
  registerGatewayCommand(program);
  registerReplayCommand(program);
  return program;
}

/** Runs the command line and returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (isHcError(error)) {
      console.error(`hycal: ${error.message} [${error.code}]`);
      return 1;
    }
    console.error('hycal: unexpected failure', error);
    return 1;
  }
}
