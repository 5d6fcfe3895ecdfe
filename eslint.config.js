// Type-aware lint. Floating and misused promises are errors; the dependency direction of
// DESIGN.md (processors never import each other or the connector; the connector never imports
// processors) is enforced with no-restricted-imports per folder.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const processorNames = ['parse', 'encrypt', 'obtp', 'ooo', 'writeback', 'materialize'];

export default tseslint.config(
  { ignores: ['node_modules/**', '.stack/**', 'dist/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js', 'bin/*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
      // A folder's face names what is public: no `export *` barrels (STYLE.md).
      'no-restricted-syntax': ['error', { selector: 'ExportAllDeclaration', message: 'Export names explicitly; no export * barrels.' }],
    },
  },
  // CLI, benchmarks, tests and scripts talk to a terminal.
  { files: ['cli/**', 'bench/**', 'test/**', 'stack/**', 'sim/**/cli.ts', 'sim/graph/test/**'], rules: { 'no-console': 'off' } },
  // Tests may use looser typing around fixtures.
  {
    files: ['test/**', 'sim/graph/test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  // Dependency direction: the connector never imports processors.
  {
    files: ['connectors/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/processors/**'], message: 'The connector never imports processors (DESIGN.md section 2).' }] }] },
  },
  // Processors import the runtime's contracts and kms/, never another processor or the connector.
  ...processorNames.map((name) => ({
    files: [`processors/${name}/**`],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/connectors/**'], message: 'Processors never import the connector (DESIGN.md section 2).' },
          ...processorNames.filter((other) => other !== name).map((other) => ({
            group: [`**/processors/${other}/**`, `../${other}/**`, `../${other}`],
            message: 'Processors never import each other; share through runtime/, kms/ or schemas/.',
          })),
        ],
      }],
    },
  })),
);
