import { Command, CommanderError } from 'commander';
import { isHcError } from '../common/errors.js';
import { registerBenchCommands } from '../bench/cli.js';
import { registerStackCommands } from '../stack/cli.js';
import { registerSimCommand } from '../sim/graph/cli.js';
import { registerKmsCommands } from '../kms/cli.js';
import { registerDlqCommands } from '../runtime/cli.js';
import { registerConfigCommands } from '../config/index.js';
import { registerConnectorCommand } from '../connectors/graph/wiring.js';

/**
 * The `hycal` command. Each area registers its sub-commands here; the handlers live beside the
 * code they drive (stack/, sim/graph/, kms/, runtime/...).
 */
export function buildProgram(): Command {
  const program = new Command('hycal')
    .description('hybrid-calendar: Hybrid Calendar service for Microsoft 365')
    .exitOverride()
    .showHelpAfterError();
  registerStackCommands(program);
  registerBenchCommands(program);
  registerSimCommand(program);
  registerKmsCommands(program);
  registerDlqCommands(program);
  registerConfigCommands(program);
  registerConnectorCommand(program);
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
