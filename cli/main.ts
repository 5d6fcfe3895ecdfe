import { Command, CommanderError } from 'commander';
import { isHcError } from '../common/errors.js';
import { registerDlqCommands } from '../runtime/cli.js';

/**
 * The `hycal` command. Each area registers its sub-commands here; the handlers live beside the
 * code they drive (stack/, sim/graph/, kms/, runtime/...).
 */
export function buildProgram(): Command {
  const program = new Command('hycal')
    .description('hybrid-calendar: Hybrid Calendar service for Microsoft 365')
    .exitOverride()
    .showHelpAfterError();
  registerDlqCommands(program);
  return program;
}

/** Runs the command line and returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return 0;
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
