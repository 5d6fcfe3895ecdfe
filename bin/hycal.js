#!/usr/bin/env node
// The `hycal` command. Runs the TypeScript sources directly through tsx's loader, so the
// checkout needs no build step.
import { register } from 'tsx/esm/api';

// `hycal stack status | head` closes the pipe early: end quietly instead of crashing.
process.stdout.on('error', (/** @type {NodeJS.ErrnoException} */ error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv);
