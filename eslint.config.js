// ESLint flat config: type-checked rules, plus the module boundaries, the pure core and the single
// homes of the process environment, the clock, signals and the console (STYLE.md §1, §13).
// test/unit/lint-boundaries.test.ts proves that each of these rules fires. Import cycles are
// checked by test/unit/import-graph.test.ts.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

// ---------------------------------------------------------------------------------------------
// The boundary table: what each folder of src/ may import from the other folders. `runtime`:
// any import; `types`: `import type` only. A folder left out may not be imported at all, not even
// for types. A folder may always import itself. main.ts, app.ts, worker-app.ts and cli/ are the
// composition roots and may import anything; nothing else imports them (cli/ excepted).
// ---------------------------------------------------------------------------------------------

/** @type {Record<string, { runtime?: string[], types?: string[] }>} */
const MAY_IMPORT = {
  shared: {},
  config: { runtime: ['shared'] },
  templates: { runtime: ['shared'] },
  workspace: { runtime: ['shared', 'templates', 'flow', 'scheduler/cron.ts'] },
  flow: { runtime: ['shared', 'templates', 'workspace'] },
  db: { runtime: ['shared'], types: ['config', 'flow', 'workers'] },
  jobs: { runtime: ['shared', 'workspace', 'flow', 'db'], types: ['config', 'logs'] },
  artifacts: { runtime: ['shared', 'db'], types: ['config'] },
  state: { runtime: ['shared', 'db', 'artifacts'], types: ['config'] },
  dispatch: {
    runtime: ['shared', 'workspace', 'flow', 'db', 'jobs', 'runner'],
    types: ['config', 'logs', 'artifacts', 'state'],
  },
  workers: {
    runtime: ['shared', 'workspace', 'flow', 'db', 'jobs', 'dispatch'],
    types: ['config', 'artifacts', 'state'],
  },
  runner: { runtime: ['shared'], types: ['config'] },
  logs: { runtime: ['shared'], types: ['config', 'flow'] },
  cluster: { runtime: ['shared', 'db', 'logs'], types: ['config'] },
  events: { runtime: ['shared', 'db'], types: ['config'] },
  scheduler: {
    runtime: ['shared', 'templates', 'workspace', 'flow', 'db'],
    types: ['config', 'jobs'],
  },
  auth: { runtime: ['shared', 'db'], types: ['config'] },
  // Repositories reach routes through ApiDeps: db/ for types only, and never db/queries/.
  api: {
    runtime: ['shared', 'templates', 'workspace', 'flow', 'scheduler', 'auth', 'workers'],
    types: [
      ...['config', 'db', 'jobs', 'dispatch', 'events', 'logs', 'cluster', 'metrics'],
      ...['artifacts', 'state'],
    ],
  },
  metrics: { runtime: ['shared'] },
  retention: { runtime: ['shared', 'db', 'logs'], types: ['config', 'artifacts'] },
}

/** Each feature's factory (`create-<feature>.ts`) composes its parts with the database. */
const FACTORY_MAY_IMPORT = ['db']
/** Extra for one factory: the log store of `weir serve` routes through the replica cluster. */
const FACTORY_EXTRA = { logs: ['cluster'] }

/** Stricter than the table: no import at all, not even for types. */
const NEVER = { api: ['db/queries'] }

const FOLDERS = [...Object.keys(MAY_IMPORT), 'cli']
const ENTRIES = ['app.ts', 'worker-app.ts', 'main.ts']

// ---------------------------------------------------------------------------------------------
// The pure core (STYLE.md §1): plain data in, plain data out. No IO, no clock, no timers; a pure
// module imports other pure modules only (types may come from anywhere the table allows).
// A folder mapped to '*' is pure as a whole; the others list their pure files (each sits directly
// in its folder, not below it).
// ---------------------------------------------------------------------------------------------

/** @type {Record<string, '*' | string[]>} */
const PURE = {
  flow: '*',
  templates: '*',
  shared: [
    'accounts',
    'calendar',
    'coalescer',
    'errors',
    'events',
    'keyed-turns',
    'releasers',
    'secret-mask',
    'statuses',
    'utf8',
    'version',
  ],
  workspace: [
    'action-refs',
    'did-you-mean',
    'duration',
    'input-schema',
    'input-values',
    'library-import',
    'link-workspace',
    'revision',
    'schema-action',
    'schema-container',
    'schema-input',
    'schema-reader',
    'schema-retry',
    'schema-step',
    'schema-task',
    'schema-trigger',
    'schema-types',
    'validate-actions',
    'validate-flow',
    'validate-merge',
    'validate-secrets',
    'validate-subtasks',
    'validate-templates',
    'validate-triggers',
    'validate-workspace',
    'workspace',
    'workspace-schema',
    'yaml-source',
  ],
  scheduler: ['cron', 'cron-syntax', 'catch-up', 'fire-plan'],
  workers: ['lease-chain', 'worker-record', 'waiting-reason'],
  auth: ['access-rules'],
  artifacts: ['artifact-names'],
  state: ['state-values'],
  logs: ['log-record', 'scrubber'],
  cluster: ['log-notices', 'log-owners'],
  retention: ['retention-policy'],
}

const PURE_GLOBALS = [
  ...['setTimeout', 'setInterval', 'setImmediate'].map((name) => ({
    name,
    message: 'a pure module uses no timers: the caller schedules',
  })),
  {
    name: 'process',
    message: 'a pure module does not read the process: take what it needs as a parameter',
  },
]

/** Folders holding IO: a pure module imports nothing from them, not even types. */
const IO_FOLDERS = [
  ...['db', 'logs', 'jobs', 'dispatch', 'runner', 'api'],
  ...['cluster', 'events', 'auth', 'metrics', 'cli', 'artifacts', 'state', 'retention'],
]
const IO_PACKAGES = ['kysely', 'pg', '@electric-sql/pglite', 'koa', '@koa/router', 'koa-body']
const IO_PACKAGES_ALSO = ['ws', 'pino', 'prom-client', 'jose']
const NODE_IO = [
  ...['fs', 'net', 'http', 'https', 'http2', 'child_process', 'timers', 'dgram', 'tls', 'dns'],
  ...['os', 'worker_threads', 'cluster', 'readline', 'process'],
]

// ---------------------------------------------------------------------------------------------
// no-restricted-imports, built per kind of file: one entry per folder, per factory and per pure
// file, each complete (a later flat-config entry replaces a rule's options, it does not add).
// Every pattern is a regex on the specifier; relative ones are matched by the top-level folder
// they enter (`../db/...`, `../../db/...`).
// ---------------------------------------------------------------------------------------------

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
const pkg = (name) => `^${esc(name)}(/.*)?$`
/** A relative specifier into top-level folder `folder` of src/ (optionally a path below it). */
const into = (folder, below = '') => `^(\\.\\./)+${esc(folder)}(/|$)${below}`

/**
 * The `no-restricted-imports` patterns of one kind of file, as a Map keyed by what is restricted,
 * so that a stricter restriction replaces a looser one and each import gets one message.
 * @param {{ folder: string | null, factory?: boolean, pure?: boolean, file?: string }} at
 */
function importRestrictions(at) {
  const { folder } = at
  /** @type {Map<string, { regex: string, message: string, allowTypeImports?: boolean }>} */
  const out = new Map()
  const ban = (key, regex, message) => out.set(key, { regex, message, caseSensitive: true })
  const typesOnly = (key, regex, message) =>
    out.set(key, { regex, message, allowTypeImports: true, caseSensitive: true })

  // Packages with one home.
  if (folder !== 'db') {
    typesOnly('kysely', pkg('kysely'), 'kysely at run time lives in src/db (`import type` is fine)')
    for (const p of ['pg', '@electric-sql/pglite'])
      ban(p, pkg(p), 'database access lives in src/db')
  }
  if (at.file !== 'src/scheduler/cron.ts') {
    ban('cron-parser', pkg('cron-parser'), 'cron-parser is wrapped by src/scheduler/cron.ts')
  }
  if (at.file !== 'src/runner/executors/docker-engine.ts') {
    ban(
      'dockerode',
      pkg('dockerode'),
      'dockerode is wrapped by src/runner/executors/docker-engine.ts',
    )
  }
  ban('ui', '^(\\./|(\\.\\./)+)ui(/|$)', 'the server must not import the web UI (src/ui)')
  if (folder === null || folder === 'cli') return out

  // The boundary table.
  const table = MAY_IMPORT[folder]
  const runtime = new Set([folder, ...(table.runtime ?? [])])
  const types = new Set(table.types ?? [])
  if (at.factory) {
    for (const f of [...FACTORY_MAY_IMPORT, ...(FACTORY_EXTRA[folder] ?? [])]) runtime.add(f)
  }
  for (const target of FOLDERS) {
    if (runtime.has(target)) continue
    const only = [...runtime].filter((r) => r.startsWith(`${target}/`))
    if (only.length > 0) {
      const files = only.map((r) => esc(r.slice(target.length + 1))).join('|')
      const msg = `${folder}/ may import only ${only.join(', ')} from ${target}/ (boundary table, eslint.config.js)`
      ban(target, into(target, `(?!(${files})$)`), msg)
    } else if (types.has(target)) {
      const msg = `${folder}/ may import ${target}/ only with \`import type\` (boundary table, eslint.config.js)`
      // Paths of NEVER get their own message below.
      const never = (NEVER[folder] ?? []).filter((p) => p.startsWith(`${target}/`))
      const below = never.map((p) => `(?!${esc(p.slice(target.length + 1))}/)`).join('')
      typesOnly(target, into(target, below), msg)
    } else {
      ban(
        target,
        into(target),
        `${folder}/ must not import ${target}/ (boundary table, eslint.config.js)`,
      )
    }
  }
  for (const path of NEVER[folder] ?? []) {
    const [top, ...rest] = path.split('/')
    ban(
      path,
      into(top, `${esc(rest.join('/'))}/`),
      `${folder}/ must not import ${path}/, not even types`,
    )
  }
  for (const entry of ENTRIES) {
    ban(entry, `^(\\.\\./)+${esc(entry)}$`, `${entry} is a composition root: only cli/ imports it`)
  }
  if (folder !== 'api') {
    for (const p of ['koa', '@koa/router', 'koa-body']) ban(p, pkg(p), 'HTTP lives in src/api')
  }
  if (folder === 'runner') {
    ban('kysely', pkg('kysely'), 'runner/ holds no database code, not even its types')
  }

  if (!at.pure) return out
  // The pure core: IO folders and packages are out, even as types.
  const why = 'a pure module does no IO'
  for (const target of IO_FOLDERS) {
    if (target !== folder) ban(target, into(target), `${why}: it must not import ${target}/`)
  }
  for (const p of [...IO_PACKAGES, ...IO_PACKAGES_ALSO]) {
    ban(p, pkg(p), `${why}: it must not import ${p}`)
  }
  const nodeIo = `^(node:)?(${NODE_IO.join('|')})(/.*)?$`
  ban('node-io', nodeIo, `${why}: no file system, network, processes or timers`)
  // Within the folders it may import, only their pure modules (types excepted).
  const open = [...runtime].filter((f) => f === folder || (FOLDERS.includes(f) && !out.has(f)))
  const pureTargets = open.flatMap((f) => {
    const files = PURE[f]
    if (files === undefined) return []
    const names = files === '*' ? '[^/]+' : `(${files.map(esc).join('|')})`
    return f === folder
      ? [`\\./${names}\\.ts`, `\\.\\./${f}/${names}\\.ts`]
      : [`\\.\\./${f}/${names}\\.ts`]
  })
  const scope = `(\\./|\\.\\./(${open.map(esc).join('|')})/)`
  const allowed = pureTargets.length > 0 ? `(?!(${pureTargets.join('|')})$)` : ''
  typesOnly(
    'pure-only',
    `^${allowed}${scope}`,
    `${why}: it imports only pure modules (PURE in eslint.config.js; \`import type\` is fine)`,
  )
  return out
}

/** @param {Parameters<typeof importRestrictions>[0]} at */
const importRule = (at) => ['error', { patterns: [...importRestrictions(at).values()] }]

/** Source files of PURE, as globs. */
const pureFiles = (folder) =>
  PURE[folder] === '*'
    ? [`src/${folder}/**/*.ts`]
    : PURE[folder].map((f) => `src/${folder}/${f}.ts`)

const importBoundaries = [
  {
    files: ['src/**/*.ts', 'src/**/*.mjs'],
    rules: { 'no-restricted-imports': importRule({ folder: null }) },
  },
  ...FOLDERS.flatMap((folder) => [
    {
      files: [`src/${folder}/**/*.ts`],
      rules: { 'no-restricted-imports': importRule({ folder }) },
    },
    {
      files: [`src/${folder}/create-${folder}.ts`],
      rules: { 'no-restricted-imports': importRule({ folder, factory: true }) },
    },
  ]),
  // A package's wrapper: its folder's rules, without that package's ban.
  {
    files: ['src/runner/executors/docker-engine.ts'],
    rules: {
      'no-restricted-imports': importRule({
        folder: 'runner',
        file: 'src/runner/executors/docker-engine.ts',
      }),
    },
  },
  ...Object.keys(PURE).flatMap((folder) =>
    pureFiles(folder).map((file) => ({
      files: [file],
      rules: {
        'no-restricted-imports': importRule({ folder, pure: true, file }),
        'no-restricted-globals': ['error', ...PURE_GLOBALS],
      },
    })),
  ),
]

// ---------------------------------------------------------------------------------------------
// One home each (STYLE.md §1.3, §13): process.env in src/main.ts (handed to the CLI and config)
// and src/config; the wall clock in src/shared/clock.ts; process listeners in src/cli/signals.ts;
// console.* in src/cli. Lazy relative imports would bypass the boundaries: only the CLI's
// command table loads lazily.
// ---------------------------------------------------------------------------------------------

const CLOCK = 'read time through a Clock (src/shared/clock.ts is the one home of the wall clock)'
const PROPERTIES = {
  env: [
    {
      object: 'process',
      property: 'env',
      message: 'process.env is read by src/main.ts and handed to config',
    },
  ],
  listeners: ['on', 'once', 'addListener', 'prependListener', 'prependOnceListener'].map(
    (property) => ({
      object: 'process',
      property,
      message: 'process listeners live in src/cli/signals.ts',
    }),
  ),
  clock: [
    { object: 'Date', property: 'now', message: CLOCK },
    { object: 'performance', property: 'now', message: CLOCK },
  ],
}
const SYNTAX = {
  clock: [
    { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: CLOCK },
    { selector: "CallExpression[callee.name='Date']", message: CLOCK },
  ],
  lazy: [
    {
      selector: 'ImportExpression[source.value=/^\\./]',
      message: 'a lazy relative import bypasses the module boundaries (only src/cli loads lazily)',
    },
  ],
}

/** no-restricted-properties and no-restricted-syntax for `files`, with the homes in `home` allowed. */
function homes(files, home = []) {
  const keep = (table) => Object.entries(table).flatMap(([k, v]) => (home.includes(k) ? [] : v))
  return {
    files,
    rules: {
      'no-restricted-properties': ['error', ...keep(PROPERTIES)],
      'no-restricted-syntax': ['error', ...keep(SYNTAX)],
      'no-console': home.includes('console') ? 'off' : 'error',
    },
  }
}

// ---------------------------------------------------------------------------------------------
// The web UI (src/ui): a browser app built by Vite. It talks to the server over HTTP only, so it
// imports nothing from the server's folders (nor they from it: the `ui` ban above). The browser's
// clock is its own; process.env, signals and the console stay out.
// ---------------------------------------------------------------------------------------------

const UI_FILES = ['src/ui/**/*.ts', 'src/ui/**/*.tsx']
const uiBoundaries = {
  files: UI_FILES,
  languageOptions: {
    globals: Object.fromEntries(
      [
        'window',
        'document',
        'location',
        'history',
        'navigator',
        'fetch',
        'Headers',
        'Response',
        'URL',
        'URLSearchParams',
        'WebSocket',
        'EventSource',
        'MessageEvent',
        'Event',
        'MouseEvent',
        'KeyboardEvent',
        'HTMLElement',
        'HTMLInputElement',
        'HTMLDivElement',
        'ResizeObserver',
        'setTimeout',
        'clearTimeout',
        'setInterval',
        'clearInterval',
        'getComputedStyle',
      ].map((g) => [g, 'readonly']),
    ),
  },
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...[...FOLDERS, 'app.ts', 'worker-app.ts', 'main.ts'].map((f) => ({
            regex: `^(\\.\\./)+\\.\\./${esc(f)}(/|$)`,
            message: 'the web UI talks to the server over HTTP only: it imports nothing from src/',
          })),
          ...[...IO_PACKAGES, ...IO_PACKAGES_ALSO, 'cron-parser'].map((p) => ({
            regex: pkg(p),
            message: 'a server package has no place in the browser bundle',
          })),
          {
            regex: '^node:',
            message: 'the web UI runs in the browser: no node built-ins',
          },
        ],
      },
    ],
  },
}

const singleHomes = [
  homes(['src/**/*.ts']),
  homes(['src/main.ts', 'src/config/**/*.ts'], ['env']),
  homes(['src/shared/clock.ts'], ['clock']),
  homes(['src/cli/**/*.ts'], ['lazy', 'console']),
  homes(['src/cli/signals.ts'], ['lazy', 'console', 'listeners']),
  homes(UI_FILES, ['clock']),
]

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      'dist',
      '.weir',
      'bin',
      'eslint.config.js',
      '.mocharc.*.cjs',
      'test/fixtures',
    ],
  },
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
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      'no-console': 'error',
    },
  },
  // The rules of src/. The entries below them touch only scripts/, test/ and .mjs type checking
  // (test/unit/lint-boundaries.test.ts checks that every src file keeps them on).
  ...singleHomes,
  ...importBoundaries,
  uiBoundaries,
  // Vite's config runs in node at build time, not in the browser.
  {
    files: ['src/ui/vite.config.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [] }] },
  },
  { files: ['scripts/**/*.ts'], rules: { 'no-console': 'off' } },
  {
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false },
      globals: { process: 'readonly', Buffer: 'readonly' },
    },
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
