// ESLint flat config: type-checked rules, and the module boundaries of ARCHITECTURE.md §5 as
// per-folder `no-restricted-imports` patterns (import cycles are checked by test/unit/import-graph.test.ts).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const WRAPPED = [
  { name: 'cron-parser', message: 'use src/scheduler/cron.ts' },
  { name: 'pg', message: 'database access lives in src/db' },
  { name: '@electric-sql/pglite', message: 'database access lives in src/db' },
]

/** Folder -> import patterns it must not use (gitignore-style, matched on the specifier). */
const BOUNDARIES = {
  'src/shared/**/*.ts': ['../*/**', '!../shared/**'],
  'src/config/**/*.ts': ['../db/**', '../api/**', '../engine/**', '../runner/**', '../logs/**', '../workspace/**', '../scheduler/**'],
  'src/workspace/**/*.ts': ['../db/**', '../api/**', '../runner/**', '../logs/**', '../engine/orchestrator*'],
  'src/db/**/*.ts': ['**/api/**', '**/runner/**', '**/logs/**', '**/engine/orchestrator*'],
  'src/runner/**/*.ts': ['**/db/**', '**/api/**', '**/engine/**', '**/logs/**', 'kysely', 'koa'],
  'src/logs/**/*.ts': ['**/db/**', '**/engine/**', '**/api/**', 'koa'],
  'src/api/**/*.ts': ['**/db/queries/**', 'kysely'],
}

export default tseslint.config(
  { ignores: ['node_modules', 'dist', '.weir', 'bin', 'eslint.config.js', '.mocharc.*.cjs', 'test/fixtures'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      'no-console': 'error',
      'no-restricted-imports': ['error', { paths: WRAPPED }],
    },
  },
  ...Object.entries(BOUNDARIES).map(([files, group]) => ({
    files: [files],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: WRAPPED, patterns: [{ group, message: 'crosses a module boundary (ARCHITECTURE.md §5)' }] },
      ],
    },
  })),
  // A feature's factory composes its parts with the database.
  { files: ['src/*/create-*.ts'], rules: { 'no-restricted-imports': ['error', { paths: WRAPPED }] } },
  { files: ['src/scheduler/cron.ts'], rules: { 'no-restricted-imports': 'off' } },
  { files: ['src/db/**/*.ts', 'test/**/*.ts', 'scripts/**/*.ts'], rules: { 'no-restricted-imports': 'off' } },
  { files: ['src/cli/**/*.ts', 'scripts/**/*.ts'], rules: { 'no-console': 'off' } },
  {
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { parserOptions: { projectService: false }, globals: { process: 'readonly', Buffer: 'readonly' } },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
)
