import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ParseInputError } from './errors.js';
import { parseOptionsSchema, type ParseOptions } from './options.js';
import { parseEvent, type ParseResult } from './parse.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function loadRules(file: string | undefined): ParseOptions {
  if (file === undefined) return parseOptionsSchema.parse({});
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ParseInputError(`hycal parse: the rules file ${file} cannot be read as JSON; give {"rules": [...], "internalDomains": [...]}.`, { cause });
  }
  const result = parseOptionsSchema.safeParse(json);
  if (!result.success) {
    throw new ParseInputError(`hycal parse: the rules file is invalid (${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}).`);
  }
  return result.data;
}

/** What `hycal parse` prints for a Graph event JSON (or, with `body`, a bare body). */
export function parseCommandInput(input: string, opts: { body?: boolean; html?: boolean; text?: boolean }, options: ParseOptions): ParseResult {
  if (opts.body === true) {
    const contentType = opts.html === true ? 'html' : opts.text === true ? 'text' : undefined;
    return parseEvent({ body: { ...(contentType === undefined ? {} : { contentType }), content: input } }, options);
  }
  let event: unknown;
  try {
    event = JSON.parse(input);
  } catch (cause) {
    throw new ParseInputError('hycal parse: stdin is not JSON; pipe a Graph event, or use --body for a bare invitation body.', { cause });
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new ParseInputError('hycal parse: stdin holds JSON but not a Graph event object.');
  // A corpus fixture ({ event, expect }) or a Graph list answer ({ value: [event] }) is taken as its event.
  const record = event as Record<string, unknown>;
  const inner: unknown = typeof record.event === 'object' && record.event !== null ? record.event : Array.isArray(record.value) ? (record.value as unknown[])[0] : event;
  return parseEvent(inner, options);
}

/** `hycal parse`: reads a Graph event JSON (or `--body`: a bare body) on stdin and prints the parse result as JSON. */
export function registerParseCommand(program: Command): void {
  program
    .command('parse')
    .description('parse an invitation: keyword intent, join details (provider, join URL, SIP URI, dial-ins), the reason and the alternatives')
    .option('--body', 'stdin is a bare invitation body (HTML or text), not a Graph event JSON')
    .option('--html', 'with --body: the body is HTML (default: detected)')
    .option('--text', 'with --body: the body is plain text (default: detected)')
    .option('--rules <file>', 'org rules as JSON: {"rules": [{"name", "pattern", "template", "provider", "scope"}], "internalDomains": [...]}')
    .option('--compact', 'one line of JSON')
    .action(async (opts: { body?: boolean; html?: boolean; text?: boolean; rules?: string; compact?: boolean }) => {
      const options = loadRules(opts.rules);
      const result = parseCommandInput(await readStdin(), opts, options);
      process.stdout.write(`${JSON.stringify(result, null, opts.compact === true ? undefined : 2)}\n`);
    });
}
