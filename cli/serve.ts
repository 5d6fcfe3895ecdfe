import type { Command } from 'commander';
import { readConfigFile } from '../config/index.js';
import { connectorOptionsFromConfig, createAppContext, parseRoles, SERVE_ROLES, startService } from '../app/index.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Resolves when the process is asked to stop (SIGTERM or SIGINT), once. */
export function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/** `hycal serve [--role R]… [--config FILE]`: runs the service until SIGTERM/SIGINT, then drains. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the service: every role in one process, or the ones named by --role (scale-out)')
    .option('--role <role>', `a role to run (repeatable or comma-separated): ${SERVE_ROLES.join(', ')}`, collect, [])
    .option('--config <file>', 'configuration file (JSON sections of the configuration schema; the environment wins)')
    .action(async (opts: { role: string[]; config?: string }) => {
      const roles = parseRoles(opts.role);
      const context = createAppContext(opts.config === undefined ? {} : { file: readConfigFile(opts.config) });
      const running = await startService(context, roles, connectorOptionsFromConfig(context.config.connector));
      console.log(`hycal serve: ${roles.join(', ')} running; metrics and health on ${running.opsUrl}${running.webhookUrl === undefined ? '' : `; webhook ${running.webhookUrl}`}${running.apiUrl === undefined ? '' : `; API and pages ${running.apiUrl}`}`);
      const signal = await stopSignal();
      console.log(`hycal serve: ${signal}, draining…`);
      await running.stop();
    });
}
