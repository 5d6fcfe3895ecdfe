import { describe, expect, it } from 'vitest';
import { CommanderError } from 'commander';
import { buildProgram } from '../../../cli/main.js';
import { parseLimit, parseOnly } from '../../../runtime/cli.js';

/** Runs `hycal …` in process; resolves with the commander error (bad arguments never reach Kafka). */
async function refused(args: string[]): Promise<{ error: CommanderError; stderr: string }> {
  let stderr = '';
  const program = buildProgram();
  const configure = (command: typeof program): void => {
    command.configureOutput({ writeErr: (text) => (stderr += text), writeOut: () => undefined });
    for (const sub of command.commands) configure(sub);
  };
  configure(program);
  const error = await program.parseAsync(['node', 'hycal', ...args]).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CommanderError);
  return { error: error as CommanderError, stderr };
}

describe('runtime – hycal dlq arguments', () => {
  it('dlq – `--limit abc` and other bad arguments are refused with a clear error instead of doing nothing', async () => {
    for (const args of [
      ['dlq', 'list', 'ledger.in', '--limit', 'abc'],
      ['dlq', 'list', 'ledger.in', '--limit', '0'],
      ['dlq', 'list', 'ledger.in', '--limit', '1.5'],
      ['dlq', 'replay', 'ledger.in', '--limit', '-3'],
      ['dlq', 'replay', 'ledger.in', '--only', '0:17,zero:1'],
      ['dlq', 'replay', 'ledger.in', '--only', ','],
    ]) {
      const { error, stderr } = await refused(args);
      expect(error.code).toBe('commander.invalidArgument');
      expect(stderr).toMatch(/option '--(limit|only) <[a-z]+>' argument '.*' is invalid\. (must be a whole number|write partition:offset)/);
    }
    const { error } = await refused(['dlq', 'replay', 'ledger.in', '--bogus']);
    expect(error.code).toBe('commander.unknownOption');
  });

  it('dlq – the argument parsers accept what they promise', () => {
    expect(parseLimit('100000')).toBe(100_000);
    expect(parseOnly('0:17, 2:5')).toEqual(['0:17', '2:5']);
    expect(() => parseLimit('1e3')).toThrow(/whole number/);
    expect(() => parseOnly('0:-1')).toThrow(/partition:offset/);
  });
});
