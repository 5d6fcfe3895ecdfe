// The import boundaries of the project, checked by `npm run lint` (and so by `npm test`):
// `depcruise --config .dependency-cruiser.cjs .`. Paths are matched after resolution, so a rule
// covers every way of writing an import, and folder patterns cover folders that do not exist yet
// (api/, connectors/graph, processors/obtp...). test/unit/architecture/boundaries.test.ts feeds a
// violating import to each rule and sees it fire.

/** Folders that ship in the service (the simulator, benchmarks, tests and the CLI's demo do not). */
const PRODUCTION = '^(api|app|common|config|connectors|gateway|graph|kms|ops|processors|records|replay|runtime|schemas|stack)/';

/** Areas made of one sub-folder per part, each part with its own face (processors/encrypt/index.ts). */
const PER_PART = '(processors|connectors|sim)';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles: a cycle makes two files one unit that cannot be understood, tested or moved apart.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'processors-not-each-other',
      severity: 'error',
      comment: 'Processors never import each other: they share through runtime/, kms/ or schemas/, and meet in a topology (app/).',
      from: { path: '^processors/([^/]+)/' },
      to: { path: '^processors/', pathNot: ['^processors/$1/'] },
    },
    {
      name: 'processors-not-connectors-or-api',
      severity: 'error',
      comment: 'Processors never import the connector or the API.',
      from: { path: '^processors/' },
      to: { path: '^(connectors|api)/' },
    },
    {
      name: 'connectors-not-processors',
      severity: 'error',
      comment: 'The connector never imports processors: it only produces raw records.',
      from: { path: '^connectors/' },
      to: { path: '^processors/' },
    },
    {
      name: 'graph-access-is-a-library',
      severity: 'error',
      comment: 'graph/ (Microsoft Graph access, shared by the connector, write-back and the API) knows none of its callers and reads no configuration.',
      from: { path: '^graph/' },
      to: { path: '^(api|app|cli|config|connectors|processors|gateway|demo)/' },
    },
    {
      name: 'libraries-not-configuration',
      severity: 'error',
      comment: 'runtime/, kms/ and stack/ take validated options; only the composition root (app/) reads configuration.',
      from: { path: '^(runtime|kms|stack|graph|replay)/' },
      to: { path: '^(config|app|cli)/' },
    },
    {
      name: 'kms-not-record-schemas',
      severity: 'error',
      comment: 'kms/ knows keys and ciphertexts, not the records that carry them (schemas/): the raw topics\' sealing is in records/.',
      from: { path: '^kms/' },
      to: { path: '^schemas/' },
    },
    {
      name: 'production-not-sim',
      severity: 'error',
      comment: 'The Graph simulator is for tests, benchmarks and the demo; the service never imports it.',
      from: { path: PRODUCTION },
      to: { path: '^sim/' },
    },
    {
      name: 'only-tests-import-tests',
      severity: 'error',
      comment: 'Test helpers and fixtures (test/) are imported by tests only; what others need belongs in a source folder.',
      from: { pathNot: '^test/' },
      to: { path: '^test/' },
    },
    {
      name: 'through-the-face',
      severity: 'error',
      comment:
        "Another folder is imported through its face, index.ts (processors/<name>/index.ts, connectors/<name>/index.ts, sim/graph/index.ts). Tests may reach inside; the `hycal` command (cli/) also takes a folder's command registration, cli.ts.",
      from: { path: '^([^/]+)/', pathNot: '^(test|bin|bench)/' },
      to: {
        path: '^[^/]+/',
        // The simulator is a package whose published entry points (package.json "exports") are its faces.
        pathNot: ['^$1/', '^test/', '^[^/]+/index\\.ts$', `^${PER_PART}/[^/]+/index\\.ts$`, `^([^/]+/|${PER_PART}/[^/]+/)cli\\.ts$`, '^sim/graph/[^/]+/index\\.ts$'],
      },
    },
    {
      name: 'through-the-face',
      severity: 'error',
      comment: 'The same for benchmarks, except that the simulator benchmarks measure its internals (they move with the simulator).',
      from: { path: '^bench/' },
      to: {
        path: '^[^/]+/',
        pathNot: ['^bench/', '^sim/', '^test/', '^[^/]+/index\\.ts$', `^${PER_PART}/[^/]+/index\\.ts$`],
      },
    },
    {
      name: 'through-the-face',
      severity: 'error',
      comment: 'Command registrations (cli.ts) are a face for the `hycal` command only (and the demo, which starts the simulator as `hycal sim` does).',
      from: { path: '^([^/]+)/', pathNot: '^(test|cli|demo)/' },
      to: { path: `^([^/]+/|${PER_PART}/[^/]+/)cli\\.ts$`, pathNot: '^$1/' },
    },
  ],
  options: {
    includeOnly: '^(api|app|bench|bin|cli|common|config|connectors|demo|gateway|graph|kms|ops|processors|records|replay|runtime|schemas|sim|stack|test)/',
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
