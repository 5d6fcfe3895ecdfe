import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { renderAsyncApi } from '../schemas/index.js';

const ROOT = join(import.meta.dirname, '..');
export const ASYNCAPI_PATH = join(ROOT, 'docs', 'asyncapi.json');

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** `hycal docs asyncapi [--write]`: the public topics as an AsyncAPI 3 document. */
export function registerDocsCommands(program: Command): void {
  const docs = program.command('docs').description('generated documents (kept equal to the code by tests)');
  docs
    .command('asyncapi')
    .description('print the AsyncAPI 3 document of the public topics, or write docs/asyncapi.json')
    .option('--write', 'write docs/asyncapi.json instead of printing')
    .action((options: { write?: boolean }) => {
      const text = renderAsyncApi(packageVersion());
      if (options.write) {
        writeFileSync(ASYNCAPI_PATH, text);
        console.log(`wrote ${ASYNCAPI_PATH}`);
      } else {
        process.stdout.write(text);
      }
    });
}
