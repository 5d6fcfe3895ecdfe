import type { Command } from 'commander';
import { createProgress } from './progress.js';
import { stackDown, stackStatus, stackUp, type StackTarget } from './stack.js';

export interface StackCommandDeps {
  /** Which stack to work on, from the configuration (the composition root decides). */
  readonly target: () => StackTarget;
}

/** `hycal stack up | down | status`. */
export function registerStackCommands(program: Command, deps: StackCommandDeps): void {
  const stack = program.command('stack').description('run the real local stack: Kafka, schema registry, MongoDB');

  stack
    .command('up')
    .description('start (or reuse) the stack, wait for health, create topics and schemas, print connection strings')
    .option('--no-provision', 'do not create topics or register schemas')
    .action(async (opts: { provision: boolean }) => {
      const started = Date.now();
      const result = await stackUp({ ...deps.target(), progress: createProgress(6), provision: opts.provision });
      console.log(`\nstack (${result.mode}) is up in ${((Date.now() - started) / 1000).toFixed(1)} s:`);
      for (const part of result.parts) console.log(`  ${part.name.padEnd(9)} ${part.result}`);
      if (result.topics !== undefined) {
        console.log(
          `  topics    ${result.topics.created} created, ${result.topics.existing} existing; ${result.topics.schemas} value schemas registered`,
        );
      }
      console.log('\nConnection strings (also in .stack/env):');
      for (const [key, value] of Object.entries(result.connections)) console.log(`  export ${key}=${value}`);
    });

  stack
    .command('down')
    .description('stop the stack (data is kept unless --purge)')
    .option('--purge', 'also delete the data directories')
    .action(async (opts: { purge?: boolean }) => {
      for (const line of await stackDown({ ...deps.target(), purge: opts.purge === true })) console.log(line);
    });

  stack
    .command('status')
    .description('tell which part of the stack runs, which is down, and where its log is')
    .action(async () => {
      const report = await stackStatus(deps.target());
      console.log(`stack mode: ${report.mode}`);
      for (const part of report.parts) {
        const mark = part.state === 'running' ? 'up  ' : 'DOWN';
        console.log(`  [${mark}] ${part.name.padEnd(9)} ${part.title}${part.port > 0 ? ` :${part.port}` : ''}`);
        console.log(`         ${part.state}: ${part.detail}${part.pid === undefined ? '' : ` (pid ${part.pid})`}`);
        console.log(`         log: ${part.logPath}`);
        for (const line of part.lastLogLines) console.log(`           | ${line.slice(0, 200)}`);
        if (part.state === 'crashed' || part.state === 'down' || part.state === 'unhealthy') {
          console.log('         fix: run `hycal stack up` (it restarts what is down)');
        }
      }
      if (report.docker !== undefined) console.log(report.docker);
      if (report.healthy) {
        console.log('Connection strings:');
        for (const [key, value] of Object.entries(report.connections)) console.log(`  export ${key}=${value}`);
      }
      process.exitCode = report.healthy ? 0 : 3;
    });
}
