#!/usr/bin/env node
// The `hycal` command. Runs the TypeScript sources directly through tsx's loader, so the
// checkout needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv);
