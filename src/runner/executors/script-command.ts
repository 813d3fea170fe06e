/**
 * How a script step is started (WORKSPACE-FORMAT.md §3.3): the command lines to try, in order,
 * and the temporary program file for inline python/javascript/typescript. Temp files live in the
 * OS temp dir, never in the workspace, which may be a shared read-only snapshot. TypeScript runs
 * on this Node with tsx's loader (a dependency of Weir), so it needs nothing installed.
 */
import { constants } from 'node:fs'
import { access, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { monotonicMs } from '../../shared/clock.ts'
import { assertNever, coerceError } from '../../shared/errors.ts'
import type { ExecRequest } from './script-executor.ts'

export type ExecLanguage = 'shell' | 'python' | 'javascript' | 'typescript'

/** What a command line is built from: the execution request without its environment. */
export type CommandRequest = Pick<
  ExecRequest,
  'language' | 'interpreter' | 'script' | 'sourcePath' | 'args' | 'cwd'
>

export interface CommandLine {
  readonly command: string
  readonly args: ReadonlyArray<string>
}

/** Candidates are tried in order while the previous one is not found (python3, then python). */
export interface PreparedProgram {
  readonly candidates: ReadonlyArray<CommandLine>
  cleanup(): Promise<void>
}

export type PrepareResult =
  | { readonly ok: true; readonly program: PreparedProgram }
  | { readonly ok: false; readonly message: string }

/** tsx's loader, as `node --import` takes it (resolved from Weir's own dependencies). */
const TSX_LOADER = import.meta.resolve('tsx')

/** The command lines a program file is handed to, without the file and its arguments. */
const DEFAULT_COMMANDS: Record<Exclude<ExecLanguage, 'shell'>, ReadonlyArray<CommandLine>> = {
  python: [
    { command: 'python3', args: [] },
    { command: 'python', args: [] },
  ],
  javascript: [{ command: 'node', args: [] }],
  typescript: [{ command: process.execPath, args: ['--import', TSX_LOADER] }],
}
/** Inline TypeScript is an ES module, so top-level await and import work as in a .ts file. */
const EXTENSIONS: Record<Exclude<ExecLanguage, 'shell'>, string> = {
  python: '.py',
  javascript: '.js',
  typescript: '.mts',
}

/**
 * Working directories seen to exist in the last second: most steps of a workspace share one, and
 * a stat per step cost more main-thread time than its spawn's bookkeeping. A directory removed
 * within that second surfaces as the spawn's own error instead.
 */
const seenDirs = new Map<string, number>()
const SEEN_DIR_MS = 1000

async function isDirectory(p: string): Promise<boolean> {
  const seen = seenDirs.get(p)
  if (seen !== undefined && monotonicMs() - seen < SEEN_DIR_MS) return true
  const ok = await stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  )
  if (ok) {
    if (seenDirs.size > 1000) seenDirs.clear()
    seenDirs.set(p, monotonicMs())
  }
  return ok
}

async function isExecutable(p: string): Promise<boolean> {
  return access(p, constants.X_OK).then(
    () => true,
    () => false,
  )
}

/** `interpreter` when the action names one, else the language's default commands. */
function commandsFor(
  language: Exclude<ExecLanguage, 'shell'>,
  interpreter: string | null,
): ReadonlyArray<CommandLine> {
  return interpreter !== null ? [{ command: interpreter, args: [] }] : DEFAULT_COMMANDS[language]
}

function withFile(
  commands: ReadonlyArray<CommandLine>,
  file: string,
  args: ReadonlyArray<string>,
): CommandLine[] {
  return commands.map((c) => ({ command: c.command, args: [...c.args, file, ...args] }))
}

async function sourceCandidates(req: CommandRequest, file: string): Promise<CommandLine[]> {
  const { language, interpreter, args } = req
  switch (language) {
    case 'shell':
      if (interpreter !== null) return withFile([{ command: interpreter, args: [] }], file, args)
      if (await isExecutable(file)) return [{ command: file, args: [...args] }]
      return withFile(
        ['bash', 'sh'].map((command) => ({ command, args: [] })),
        file,
        args,
      )
    case 'python':
    case 'javascript':
    case 'typescript':
      return withFile(commandsFor(language, interpreter), file, args)
    default:
      return assertNever(language, 'script language')
  }
}

async function inlineProgram(req: CommandRequest, script: string): Promise<PreparedProgram> {
  const { language, interpreter, args } = req
  if (language === 'shell') {
    const candidates = [{ command: interpreter ?? 'sh', args: ['-c', script, 'sh', ...args] }]
    return { candidates, cleanup: async () => undefined }
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'weir-'))
  const file = path.join(dir, `step${EXTENSIONS[language]}`)
  const cleanup = () => rm(dir, { recursive: true, force: true })
  try {
    await writeFile(file, script, { mode: 0o600 })
  } catch (e) {
    await cleanup()
    throw coerceError(e)
  }
  return { candidates: withFile(commandsFor(language, interpreter), file, args), cleanup }
}

/** Checks the request, writes the temp program if needed, and lists the commands to try. */
export async function prepareProgram(req: CommandRequest): Promise<PrepareResult> {
  if ((req.script === null) === (req.sourcePath === null)) {
    return { ok: false, message: 'a script step needs exactly one of script or source' }
  }
  if (!(await isDirectory(req.cwd))) {
    return { ok: false, message: `working directory not found: ${req.cwd}` }
  }
  if (req.sourcePath !== null) {
    const exists = await stat(req.sourcePath).then(
      (s) => s.isFile(),
      () => false,
    )
    if (!exists) return { ok: false, message: `source file not found: ${req.sourcePath}` }
    const candidates = await sourceCandidates(req, req.sourcePath)
    return { ok: true, program: { candidates, cleanup: async () => undefined } }
  }
  try {
    return { ok: true, program: await inlineProgram(req, req.script!) }
  } catch (e) {
    const reason = coerceError(e).message
    return { ok: false, message: `cannot write the temporary script file: ${reason}` }
  }
}

/** A readable reason for a process that did not start. */
export function describeStartFailure(command: string, message: string, code?: string): string {
  if (code === 'ENOENT') {
    return `cannot start '${command}': command not found (check the interpreter or the shebang)`
  }
  if (code === 'EACCES') return `cannot start '${command}': permission denied`
  if (code === 'ELAUNCHER') return message
  return `cannot start '${command}': ${message}`
}
