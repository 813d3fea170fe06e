// ESLint flat config: type-checked rules, import hygiene and the module boundaries of
// docs/ARCHITECTURE.md §5 (enforced with import-x/no-restricted-paths).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import importX from 'eslint-plugin-import-x'

const zones = [
  { target: './src/shared', from: ['./src/!(shared)/**/*'], message: 'shared/ imports nothing else from src/' },
  { target: './src/config', from: ['./src/!(shared|config)/**/*'], message: 'config/ only uses shared/' },
  {
    target: './src/workspace',
    from: ['./src/db', './src/api', './src/worker', './src/logs', './src/engine/orchestrator.ts'],
    message: 'workspace/ stays free of IO layers',
  },
  {
    target: './src/db',
    from: ['./src/api', './src/worker', './src/logs', './src/engine/orchestrator.ts'],
    message: 'db/ is below the engine and the API',
  },
  {
    target: './src/worker',
    from: ['./src/db', './src/api', './src/engine/orchestrator.ts', './src/logs'],
    message: 'worker/ never sees the database',
  },
  { target: './src/logs', from: ['./src/db', './src/engine', './src/api'], message: 'logs/ is a leaf' },
  { target: './src/api', from: ['./src/db/queries'], message: 'routes go through repositories' },
]

export default tseslint.config(
  { ignores: ['node_modules', 'dist', '.weir', 'bin', 'eslint.config.js', '.mocharc.*.cjs', '**/*.mjs', 'test/fixtures'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/ignore': ['node_modules'], 'import-x/extensions': ['.ts', '.js'] },
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
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones }],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'cron-parser', message: 'use src/scheduler/cron.ts' },
            { name: 'nunjucks', message: 'use src/engine/templates.ts' },
            { name: 'pg', message: 'database access lives in src/db' },
            { name: '@electric-sql/pglite', message: 'database access lives in src/db' },
          ],
        },
      ],
    },
  },
  { files: ['src/scheduler/cron.ts'], rules: { 'no-restricted-imports': 'off' } },
  { files: ['src/engine/templates.ts', 'src/engine/templates/**/*.ts'], rules: { 'no-restricted-imports': 'off' } },
  { files: ['src/db/**/*.ts', 'test/**/*.ts', 'scripts/**/*.ts'], rules: { 'no-restricted-imports': 'off' } },
  { files: ['src/cli/**/*.ts', 'scripts/**/*.ts'], rules: { 'no-console': 'off' } },
  {
    files: ['test/**/*.ts'],
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
