// Type-aware lint. Floating and misused promises are errors. Import boundaries (which folder may
// import which, faces, cycles) are checked by dependency-cruiser (.dependency-cruiser.cjs), which
// `npm run lint` runs after eslint.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/**', '.stack/**', 'dist/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs' } },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js', '.dependency-cruiser.cjs', 'bin/*.js'] }, tsconfigRootDir: import.meta.dirname },
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
  // The runtime stays split by concern: no file over 400 lines, no function over 80.
  { files: ['runtime/**/*.ts'], rules: { 'max-lines': ['error', { max: 400 }], 'max-lines-per-function': ['error', { max: 80 }] } },
);
