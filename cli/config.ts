import type { Command } from 'commander';
import { configKeys, configKeysMarkdown } from '../config/index.js';

/** `hycal config keys`: every configuration key with its variable, default and meaning. */
export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('the configuration schema');
  config
    .command('keys')
    .description('every configuration key with its variable, default and meaning')
    .option('--markdown', 'as the table of docs/configuration.md')
    .action((options: { markdown?: boolean }) => {
      if (options.markdown === true) {
        process.stdout.write(`${configKeysMarkdown()}\n`);
        return;
      }
      for (const k of configKeys()) process.stdout.write(`${k.key}${k.variable === null ? '' : ` (${k.variable})`} = ${k.default}\n    ${k.description}\n`);
    });
}
