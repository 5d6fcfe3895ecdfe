import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalStackOptions } from './options.js';

export const KAFKA_VERSION = '3.9.1';
export const FERRETDB_VERSION = 'v1.24.2';
export const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';

/**
 * Source patches applied to FerretDB before it is built (docs/decisions/0003). Each names the file,
 * the exact text it replaces and why; a patch whose text is not found stops the build. The binary
 * is cached under FERRETDB_BUILD, so changing the patches rebuilds it.
 */
export const FERRETDB_PATCHES: readonly { readonly file: string; readonly find: string; readonly replace: string; readonly count: number; readonly why: string }[] = [
  {
    file: 'internal/backends/sqlite/metadata/metadata.go',
    find: `IDColumn = DefaultColumn + "->'$._id'"`,
    replace: `IDColumn = DefaultColumn + "->'_id'"`,
    count: 1,
    why: 'lookups by _id compare `sjson->\'$._id\'`, but the unique _id index is on `sjson->"_id"`: SQLite matches index expressions by their text, so every lookup by _id scanned the whole table (100 ms at 20,000 documents, 200 ms at 40,000). Both expressions mean the same JSON path; with the patch lookups use the index.',
  },
  {
    file: 'internal/backends/sqlite/collection.go',
    find: 'if params.Filter.Len() == 1 {\n\t\tv, _ := params.Filter.Get("_id")',
    replace: 'if params.Filter.Len() >= 1 {\n\t\tv, _ := params.Filter.Get("_id")',
    count: 2,
    why: 'the SQLite backend narrowed a query by _id only when the filter was exactly {_id: value}, so a version-guarded upsert {_id, v: {$lt: n}} scanned the whole table (460 ms at 40,000 documents). Query filters are hints by contract ("extra documents will be filtered out by the handler", backends/collection.go), so narrowing by the _id equality of a larger filter is safe.',
  },
  {
    file: 'internal/backends/sqlite/collection.go',
    find: '// Stats implements backends.Collection interface.\n',
    replace: [
      '// idInArgs returns the SQL arguments of a filter value {$in: [string, ...]} (1 to 1,000 strings), else nil.',
      '// Added by hybrid-calendar: lookups of several documents by _id in one query (decision 0003).',
      'func idInArgs(v any) []any {',
      '\td, ok := v.(*types.Document)',
      '\tif !ok || d.Len() != 1 {',
      '\t\treturn nil',
      '\t}',
      '\tin, _ := d.Get("$in")',
      '\ta, ok := in.(*types.Array)',
      '\tif !ok || a.Len() == 0 || a.Len() > 1000 {',
      '\t\treturn nil',
      '\t}',
      '\targs := make([]any, 0, a.Len())',
      '\tfor i := 0; i < a.Len(); i++ {',
      '\t\te := must.NotFail(a.Get(i))',
      '\t\tif _, ok := e.(string); !ok {',
      '\t\t\treturn nil',
      '\t\t}',
      '\t\targs = append(args, string(must.NotFail(sjson.MarshalSingleValue(e))))',
      '\t}',
      '\treturn args',
      '}',
      '',
      '// Stats implements backends.Collection interface.',
      '',
    ].join('\n'),
    count: 1,
    why: 'a find with {_id: {$in: [...]}} (a meeting list reads a week of day documents at once) was not narrowed at all: every such query scanned and decoded the whole collection (18 s at 5,000 day documents). This adds the helper the next two patches use.',
  },
  {
    file: 'internal/backends/sqlite/collection.go',
    find: '\t\tcase string, types.ObjectID:\n\t\t\twhereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)\n',
    replace: [
      '\t\tcase *types.Document:',
      '\t\t\tif in := idInArgs(v); in != nil {',
      '\t\t\t\twhereClause = fmt.Sprintf(` WHERE %s IN (?%s)`, metadata.IDColumn, strings.Repeat(", ?", len(in)-1))',
      '\t\t\t\targs = in',
      '\t\t\t}',
      '\t\tcase string, types.ObjectID:',
      '\t\t\twhereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)',
      '',
    ].join('\n'),
    count: 1,
    why: 'Query narrows {_id: {$in: [strings]}} to `_id IN (...)`, served by the _id index; the handler still filters every document again (same contract as above).',
  },
  {
    file: 'internal/backends/sqlite/collection.go',
    find: '\t\tcase string, types.ObjectID:\n\t\t\tfilterPushdown = true\n',
    replace: [
      '\t\tcase *types.Document:',
      '\t\t\tif in := idInArgs(v); in != nil {',
      '\t\t\t\tfilterPushdown = true',
      '\t\t\t\twhereClause = fmt.Sprintf(` WHERE %s IN (?%s)`, metadata.IDColumn, strings.Repeat(", ?", len(in)-1))',
      '\t\t\t\targs = in',
      '\t\t\t}',
      '\t\tcase string, types.ObjectID:',
      '\t\t\tfilterPushdown = true',
      '',
    ].join('\n'),
    count: 1,
    why: 'Explain reports the same narrowing (filterPushdown: true), which is how the API tells a FerretDB that serves $in by index from one that would scan.',
  },
  {
    file: 'internal/util/resource/resource.go',
    find: 'func Track(obj any, token *Token) {\n\tcheckArgs(obj, token)\n',
    replace: 'func Track(obj any, token *Token) {\n\tif !debugbuild.Enabled {\n\t\treturn\n\t}\n\n\tcheckArgs(obj, token)\n',
    count: 1,
    why: 'every iterator, query and transaction registers itself in a pprof profile (a stack walk per object) and gets a finalizer, a leak detector for FerretDB\'s own tests: 10–12 % of FerretDB\'s CPU in the pipeline bench (pprof: runtime.pcvalue, unwinder under resource.Track). Kept in FerretDB\'s debug builds (debugbuild.Enabled), skipped in ours.',
  },
  {
    file: 'internal/util/resource/resource.go',
    find: 'func Untrack(obj any, token *Token) {\n\tcheckArgs(obj, token)\n',
    replace: 'func Untrack(obj any, token *Token) {\n\tif !debugbuild.Enabled {\n\t\treturn\n\t}\n\n\tcheckArgs(obj, token)\n',
    count: 1,
    why: 'the other half of the patch above: nothing is tracked, so nothing is untracked (Untrack of an untracked object panics).',
  },
  {
    file: 'internal/backends/sqlite/metadata/pool/opendb.go',
    find: '\tdb.SetMaxIdleConns(100)\n\tdb.SetMaxOpenConns(100)\n',
    replace: '\tdb.SetMaxIdleConns(100)\n\tdb.SetMaxOpenConns(1000)\n',
    count: 1,
    why: 'the update handler keeps each update\'s query open, holding one of the database\'s SQLite connections, until the whole command returns, and needs one more for the update\'s transaction: with 100 connections, eight bulks of 20 version-guarded upserts in flight at once took them all and FerretDB hung for good (every handler waiting for a 101st; reproduced, goroutine dump). The runtime sends up to 2 bulks of 20 per topology, so one `hycal serve` (4–5 topologies) or two workers on one store could reach it. Closing each query after its update fixed the hang but cost 20–45 % of the write rate in a microbenchmark, so the pool is raised instead: the hang now needs 50 such bulks at once. Connections above 100 are closed when returned.',
  },
];

/** Name of the patched build in the user-level cache. */
export const FERRETDB_BUILD = `${FERRETDB_VERSION}-hc${FERRETDB_PATCHES.length}`;

/** Apicurio Registry 3.3.x needs Java 21; 3.0.x runs on Java 17 (stack.md section 6.4). */
export interface RegistryDistribution {
  readonly version: string;
  readonly minJava: number;
  /** Launcher jar inside the extracted archive. */
  readonly launcher: string;
}
export const REGISTRY_DISTRIBUTIONS: readonly RegistryDistribution[] = [
  { version: '3.3.3', minJava: 21, launcher: 'quarkus-run.jar' },
  { version: '3.0.9', minJava: 17, launcher: 'apicurio-registry-app-3.0.9-runner.jar' },
];

export type PartName = 'kafka' | 'registry' | 'mongodb';
export const PART_NAMES: readonly PartName[] = ['kafka', 'registry', 'mongodb'];

export interface StackLayout {
  /** The checkout this command runs from. */
  readonly root: string;
  /** Git-ignored state of this checkout: data, logs, pid files. */
  readonly stateDir: string;
  readonly logsDir: string;
  readonly runDir: string;
  readonly kafkaDataDir: string;
  readonly mongoDataDir: string;
  /** User-level cache shared by every clone (downloads and builds). */
  readonly cacheDir: string;
  readonly m2Repository: string;
  readonly options: LocalStackOptions;
}

export function checkoutRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..');
}

export function stackLayout(options: LocalStackOptions, root: string = checkoutRoot()): StackLayout {
  const stateDir = join(root, '.stack');
  const xdgCache = process.env['XDG_CACHE_HOME'];
  const cacheDir = options.cacheDir ?? join(xdgCache !== undefined && xdgCache !== '' ? xdgCache : join(homedir(), '.cache'), 'hybrid-calendar');
  return {
    root,
    stateDir,
    logsDir: join(stateDir, 'logs'),
    runDir: join(stateDir, 'run'),
    kafkaDataDir: join(stateDir, 'kafka', 'data'),
    mongoDataDir: join(stateDir, 'ferretdb'),
    cacheDir,
    m2Repository: join(homedir(), '.m2', 'repository'),
    options,
  };
}

export function logFile(layout: StackLayout, part: PartName): string {
  return join(layout.logsDir, `${part}.log`);
}

export function pidFile(layout: StackLayout, part: PartName): string {
  return join(layout.runDir, `${part}.json`);
}

export interface ConnectionStrings {
  readonly KAFKA_BROKERS: string;
  readonly SCHEMA_REGISTRY_URL: string;
  readonly MONGODB_URI: string;
}

export function localConnections(options: LocalStackOptions): ConnectionStrings {
  return {
    KAFKA_BROKERS: `127.0.0.1:${options.kafkaPort}`,
    SCHEMA_REGISTRY_URL: `http://127.0.0.1:${options.registryPort}/apis/ccompat/v7`,
    MONGODB_URI: `mongodb://127.0.0.1:${options.mongoPort}/`,
  };
}
