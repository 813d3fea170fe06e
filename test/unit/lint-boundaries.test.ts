import { expect } from 'chai'
import { ESLint } from 'eslint'
import { readdirSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import tseslint from 'typescript-eslint'

/**
 * The module boundaries, the pure core and the single homes of eslint.config.js, each proven to
 * fire: a breaking source at a path inside src/ yields exactly the expected rule, and its compliant
 * twin yields nothing. The sources are virtual (lintText with a filePath). The project's own
 * config is used, with type information switched off: none of these rules needs it, and files
 * unknown to tsconfig could not be linted with it.
 */

const ROOT = resolve(import.meta.dirname, '../..')

interface Problem {
  readonly ruleId: string | null
  readonly message: string
}

interface Case {
  readonly rule: string
  readonly file: string
  readonly code: string
  /** The rule id and a part of its message. */
  readonly fires: readonly [ruleId: string, message: string]
  /** Compliant twins: other code at the same path, or the same code at another path. */
  readonly passes: ReadonlyArray<{ readonly file?: string; readonly code?: string }>
}

const RUNTIME_SQL = "import { sql } from 'kysely'\nexport const q = sql`SELECT 1`\n"

const CASES: ReadonlyArray<Case> = [
  // 1. kysely at run time, pg and PGlite only in src/db.
  {
    rule: 'only src/db imports kysely at run time',
    file: 'src/jobs/fixture.ts',
    code: RUNTIME_SQL,
    fires: ['no-restricted-imports', 'kysely at run time lives in src/db'],
    passes: [
      { code: "import type { Kysely } from 'kysely'\nexport type Db = Kysely<object>\n" },
      { file: 'src/db/queries/fixture.ts' },
    ],
  },
  {
    rule: 'only src/db imports pg',
    file: 'src/cluster/fixture.ts',
    code: "import pg from 'pg'\nexport const Pool = pg.Pool\n",
    fires: ['no-restricted-imports', 'database access lives in src/db'],
    passes: [{ file: 'src/db/fixture.ts' }],
  },
  {
    rule: 'only src/db imports PGlite',
    file: 'src/app.ts',
    code: "import { PGlite } from '@electric-sql/pglite'\nexport const P = PGlite\n",
    fires: ['no-restricted-imports', 'database access lives in src/db'],
    passes: [{ file: 'src/db/create-db.ts' }],
  },
  {
    rule: 'only src/scheduler/cron.ts imports cron-parser',
    file: 'src/scheduler/fixture.ts',
    code: "import { CronExpressionParser } from 'cron-parser'\nexport const P = CronExpressionParser\n",
    fires: ['no-restricted-imports', 'cron-parser is wrapped by src/scheduler/cron.ts'],
    passes: [{ file: 'src/scheduler/cron.ts' }],
  },
  {
    rule: 'only src/runner/executors/docker-engine.ts imports dockerode',
    file: 'src/runner/fixture.ts',
    code: "import Docker from 'dockerode'\nexport const D = Docker\n",
    fires: [
      'no-restricted-imports',
      'dockerode is wrapped by src/runner/executors/docker-engine.ts',
    ],
    passes: [{ file: 'src/runner/executors/docker-engine.ts' }],
  },

  // 2. The pure core.
  {
    rule: 'a pure module imports no node IO module',
    file: 'src/flow/fixture.ts',
    code: "import { readFileSync } from 'node:fs'\nexport const read = readFileSync\n",
    fires: ['no-restricted-imports', 'a pure module does no IO: no file system'],
    passes: [
      { code: "import { join } from 'node:path'\nexport const j = join\n" },
      { file: 'src/workspace/load-workspace.ts' },
    ],
  },
  {
    rule: 'a pure module imports nothing from an IO folder, not even types',
    file: 'src/templates/fixture.ts',
    code: "import type { DB } from '../db/schema.ts'\nexport type D = DB\n",
    fires: ['no-restricted-imports', 'a pure module does no IO: it must not import db/'],
    passes: [
      {
        code: "import type { StepStatus } from '../shared/statuses.ts'\nexport type S = StepStatus\n",
      },
    ],
  },
  {
    rule: 'a pure module imports no IO package',
    file: 'src/scheduler/catch-up.ts',
    code: "import { WebSocket } from 'ws'\nexport const W = WebSocket\n",
    fires: ['no-restricted-imports', 'a pure module does no IO: it must not import ws'],
    passes: [{ file: 'src/logs/log-socket.ts' }],
  },
  {
    rule: 'a pure module does not import the system clock',
    file: 'src/templates/fixture.ts',
    code: "import { systemClock } from '../shared/clock.ts'\nexport const c = systemClock\n",
    fires: ['no-restricted-imports', 'it imports only pure modules'],
    passes: [
      { code: "import type { Clock } from '../shared/clock.ts'\nexport type C = Clock\n" },
      { file: 'src/scheduler/create-scheduler.ts' },
    ],
  },
  {
    rule: 'a pure module imports only the pure modules of its own folder',
    file: 'src/workspace/validate-secrets.ts',
    code: "import { WorkspaceRegistry } from './workspace-registry.ts'\nexport const R = WorkspaceRegistry\n",
    fires: ['no-restricted-imports', 'it imports only pure modules'],
    passes: [
      { code: "import { issueAt } from './yaml-source.ts'\nexport const at = issueAt\n" },
      { file: 'src/workspace/workspace-watcher.ts' },
    ],
  },
  {
    rule: 'a pure module uses no timers',
    file: 'src/flow/fixture.ts',
    code: 'export function later(f: () => void): void {\n  setTimeout(f, 10)\n}\n',
    fires: ['no-restricted-globals', 'a pure module uses no timers'],
    passes: [{ file: 'src/dispatch/fixture.ts' }],
  },
  {
    rule: 'a pure module does not read the process',
    file: 'src/workers/lease-chain.ts',
    code: 'export const cwd = process.cwd()\n',
    fires: ['no-restricted-globals', 'a pure module does not read the process'],
    passes: [{ file: 'src/runner/fixture.ts' }],
  },

  // 3. One home each.
  {
    rule: 'Date.now only in src/shared/clock.ts',
    file: 'src/jobs/fixture.ts',
    code: 'export const t = Date.now()\n',
    fires: ['no-restricted-properties', 'src/shared/clock.ts is the one home of the wall clock'],
    passes: [{ file: 'src/shared/clock.ts' }],
  },
  {
    rule: 'new Date() only in src/shared/clock.ts',
    file: 'src/cli/fixture.ts',
    code: 'export const t = new Date()\n',
    fires: ['no-restricted-syntax', 'src/shared/clock.ts is the one home of the wall clock'],
    passes: [{ code: 'export const t = new Date(0)\n' }, { file: 'src/shared/clock.ts' }],
  },
  {
    rule: 'performance.now only in src/shared/clock.ts',
    file: 'src/metrics/fixture.ts',
    code: 'export const t = performance.now()\n',
    fires: ['no-restricted-properties', 'src/shared/clock.ts is the one home of the wall clock'],
    passes: [{ file: 'src/shared/clock.ts' }],
  },
  {
    rule: 'process.env only in src/main.ts and src/config',
    file: 'src/app.ts',
    code: 'export const home = process.env.HOME\n',
    fires: ['no-restricted-properties', 'process.env is read by src/main.ts'],
    passes: [{ file: 'src/main.ts' }, { file: 'src/config/fixture.ts' }],
  },
  {
    rule: 'process.on only in src/cli/signals.ts',
    file: 'src/worker-app.ts',
    code: "process.on('SIGTERM', () => undefined)\n",
    fires: ['no-restricted-properties', 'process listeners live in src/cli/signals.ts'],
    passes: [{ file: 'src/cli/signals.ts' }],
  },
  {
    rule: 'console only in src/cli',
    file: 'src/jobs/fixture.ts',
    code: "console.log('hello')\n",
    fires: ['no-console', 'Unexpected console statement'],
    passes: [{ file: 'src/cli/commands/fixture.ts' }],
  },
  {
    rule: 'lazy relative imports only in src/cli',
    file: 'src/jobs/fixture.ts',
    code: "export const load = () => import('../db/schema.ts')\n",
    fires: ['no-restricted-syntax', 'a lazy relative import bypasses the module boundaries'],
    passes: [
      { file: 'src/cli/fixture.ts' },
      { code: "export const load = () => import('jose')\n" },
    ],
  },

  // 4. The boundary table.
  {
    rule: 'runner/ imports nothing from db/, not even types',
    file: 'src/runner/fixture.ts',
    code: "import type { DB } from '../db/schema.ts'\nexport type D = DB\n",
    fires: ['no-restricted-imports', 'runner/ must not import db/'],
    passes: [
      { code: "import { coerceError } from '../shared/errors.ts'\nexport const c = coerceError\n" },
    ],
  },
  {
    rule: 'runner/ holds no kysely, not even types',
    file: 'src/runner/executors/fixture.ts',
    code: "import type { Kysely } from 'kysely'\nexport type K = Kysely<object>\n",
    fires: ['no-restricted-imports', 'runner/ holds no database code'],
    passes: [{ file: 'src/dispatch/fixture.ts' }],
  },
  {
    rule: 'logs/ imports no db/ (its factory does)',
    file: 'src/logs/fixture.ts',
    code: "import { findJobById } from '../db/repositories/job.repository.ts'\nexport const f = findJobById\n",
    fires: ['no-restricted-imports', 'logs/ must not import db/'],
    passes: [{ file: 'src/logs/create-logs.ts' }],
  },
  {
    rule: 'api/ imports db/ for types only',
    file: 'src/api/fixture.ts',
    code: "import { findJobById } from '../db/repositories/job.repository.ts'\nexport const f = findJobById\n",
    fires: ['no-restricted-imports', 'api/ may import db/ only with `import type`'],
    passes: [
      { code: "import type { JobRow } from '../db/schema.ts'\nexport type J = JobRow\n" },
      { file: 'src/app.ts' },
    ],
  },
  {
    rule: 'api/ imports nothing from db/queries/, not even types',
    file: 'src/api/routes/fixture.ts',
    code: "import type { ClaimedStep } from '../../db/queries/claim-ready-steps.ts'\nexport type C = ClaimedStep\n",
    fires: ['no-restricted-imports', 'api/ must not import db/queries/, not even types'],
    passes: [{ file: 'src/dispatch/fixture.ts' }],
  },
  {
    rule: 'api/ imports no kysely at run time',
    file: 'src/api/fixture.ts',
    code: RUNTIME_SQL,
    fires: ['no-restricted-imports', 'kysely at run time lives in src/db'],
    passes: [{ code: "import type { Kysely } from 'kysely'\nexport type Db = Kysely<object>\n" }],
  },
  {
    rule: 'shared/ imports no other src folder',
    file: 'src/shared/fixture.ts',
    code: "import type { Job } from '../flow/job.ts'\nexport type J = Job\n",
    fires: ['no-restricted-imports', 'shared/ must not import flow/'],
    passes: [{ code: "import { assertNever } from './errors.ts'\nexport const a = assertNever\n" }],
  },
  {
    rule: 'config/ imports only shared/',
    file: 'src/config/fixture.ts',
    code: "import { loadWorkspace } from '../workspace/load-workspace.ts'\nexport const l = loadWorkspace\n",
    fires: ['no-restricted-imports', 'config/ must not import workspace/'],
    passes: [
      { code: "import { coerceError } from '../shared/errors.ts'\nexport const c = coerceError\n" },
    ],
  },
  {
    rule: 'flow/ imports no jobs/ (and, being pure, no IO folder)',
    file: 'src/flow/fixture.ts',
    code: "import type { Orchestrator } from '../jobs/orchestrator.ts'\nexport type O = Orchestrator\n",
    fires: ['no-restricted-imports', 'it must not import jobs/'],
    passes: [{ file: 'src/dispatch/fixture.ts' }],
  },
  {
    rule: 'workspace/ imports only cron.ts from scheduler/',
    file: 'src/workspace/workspace-watcher.ts',
    code: "import { Scheduler } from '../scheduler/scheduler.ts'\nexport const S = Scheduler\n",
    fires: [
      'no-restricted-imports',
      'workspace/ may import only scheduler/cron.ts from scheduler/',
    ],
    passes: [
      {
        code: "import { nextFireTimes } from '../scheduler/cron.ts'\nexport const n = nextFireTimes\n",
      },
    ],
  },
  {
    rule: 'the composition roots are imported only by cli/',
    file: 'src/jobs/fixture.ts',
    code: "import { createApp } from '../app.ts'\nexport const c = createApp\n",
    fires: ['no-restricted-imports', 'app.ts is a composition root'],
    passes: [{ file: 'src/cli/fixture.ts' }],
  },
  {
    rule: 'a folder imports only what the table allows at run time',
    file: 'src/scheduler/fixture.ts',
    code: "import { Orchestrator } from '../jobs/orchestrator.ts'\nexport const O = Orchestrator\n",
    fires: ['no-restricted-imports', 'scheduler/ may import jobs/ only with `import type`'],
    passes: [
      {
        code: "import type { Orchestrator } from '../jobs/orchestrator.ts'\nexport type O = Orchestrator\n",
      },
    ],
  },
  // The web UI and the server never import each other.
  {
    rule: 'the server does not import the web UI',
    file: 'src/api/fixture.ts',
    code: "import { parseAnsi } from '../ui/lib/ansi.ts'\nexport const p = parseAnsi\n",
    fires: ['no-restricted-imports', 'the server must not import the web UI'],
    passes: [
      {
        file: 'src/ui/lib/fixture.ts',
        code: "import { parseAnsi } from './ansi.ts'\nexport const p = parseAnsi\n",
      },
    ],
  },
  {
    rule: 'the web UI does not import the server',
    file: 'src/ui/lib/fixture.ts',
    code: "import { isUuid } from '../../shared/ids.ts'\nexport const u = isUuid\n",
    fires: ['no-restricted-imports', 'the web UI talks to the server over HTTP only'],
    passes: [{ code: "import { parseAnsi } from './ansi.ts'\nexport const p = parseAnsi\n" }],
  },
]

/** Every .ts file under `dir`, relative to the repository root. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [relative(ROOT, p)] : []
  })
}

describe('lint boundaries (eslint.config.js)', () => {
  let eslint: ESLint

  before(async function () {
    this.timeout(20_000)
    eslint = new ESLint({
      cwd: ROOT,
      overrideConfig: [{ files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked }],
    })
    await eslint.lintText('export {}\n', { filePath: join(ROOT, 'src/shared/fixture.ts') })
  })

  async function problems(file: string, code: string): Promise<Problem[]> {
    const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) })
    return result!.messages.map((m) => ({ ruleId: m.ruleId, message: m.message }))
  }

  for (const c of CASES) {
    it(`${c.rule}: fires on ${c.file}, and not on its compliant twins`, async () => {
      const found = await problems(c.file, c.code)
      expect(found.map((p) => p.ruleId)).to.deep.equal([c.fires[0]])
      expect(found[0]!.message).to.include(c.fires[1])
      for (const twin of c.passes) {
        const file = twin.file ?? c.file
        expect(await problems(file, twin.code ?? c.code), file).to.deep.equal([])
      }
    })
  }

  it('keeps every rule on for every file in src/ (no later entry switches one off)', async function () {
    // Resolves the config of each of several hundred files: about 1 s idle, more on a busy machine.
    this.timeout(10_000)
    const severity = (rule: unknown): unknown => (Array.isArray(rule) ? rule[0] : rule)
    const off: string[] = []
    for (const file of tsFiles(join(ROOT, 'src'))) {
      const config = (await eslint.calculateConfigForFile(join(ROOT, file))) as {
        rules: Record<string, unknown>
      }
      const rules = ['no-restricted-imports', 'no-restricted-properties', 'no-restricted-syntax']
      if (!file.startsWith('src/cli/')) rules.push('no-console')
      for (const rule of rules) {
        if (severity(config.rules[rule]) !== 2) off.push(`${file}: ${rule}`)
      }
    }
    expect(off).to.deep.equal([])
  })
})
