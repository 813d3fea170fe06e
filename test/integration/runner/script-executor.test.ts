import { expect } from 'chai'
import { existsSync } from 'node:fs'
import { chmod, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { ProcessLauncher } from '../../../src/runner/executors/process-launcher.ts'
import { baseEnv, execute, launcherKinds } from './exec-support.ts'

for (const kind of launcherKinds) {
  describe(`script executor: languages, output and errors (${kind.name} launcher)`, () => {
    let launcher: ProcessLauncher
    let dir: string

    before(async () => {
      launcher = kind.make()
      dir = await realpath(await mkdtemp(path.join(tmpdir(), 'weir-exec-test-')))
    })
    after(async () => {
      await launcher.close()
      await rm(dir, { recursive: true, force: true })
    })

    it('runs inline shell with args, env and cwd', async () => {
      const { result, stdout } = await execute(launcher, {
        script: 'echo "args=$1,$2 n=$#"; echo "g=$GREETING"; pwd; echo "zero=$0"',
        args: ['one', 'two words'],
        env: { ...baseEnv, GREETING: 'hej' },
        cwd: dir,
      })
      expect(result.errorMessage).to.equal(null)
      expect(result.exitCode).to.equal(0)
      expect(stdout).to.deep.equal(['args=one,two words n=2', 'g=hej', dir, 'zero=sh'])
    })

    it('gives the child exactly the given environment plus PYTHONUNBUFFERED', async () => {
      const { stdout } = await execute(launcher, { script: 'env | sort', cwd: dir })
      const names = stdout.map((l) => l.split('=')[0]).sort()
      expect(names).to.deep.equal([...Object.keys(baseEnv), 'PWD', 'PYTHONUNBUFFERED'].sort())
      expect(stdout).to.include('PYTHONUNBUFFERED=1')
      const kept = await execute(launcher, {
        script: 'echo "$PYTHONUNBUFFERED"',
        env: { ...baseEnv, PYTHONUNBUFFERED: '0' },
        cwd: dir,
      })
      expect(kept.stdout).to.deep.equal(['0'])
    })

    it('honours an interpreter override for shell', async () => {
      const { stdout } = await execute(launcher, {
        script: 'echo "bash=${BASH_VERSION:+yes}"',
        interpreter: 'bash',
        cwd: dir,
      })
      expect(stdout).to.deep.equal(['bash=yes'])
    })

    it('runs inline python from a temp file outside the workspace, removed afterwards', async () => {
      const { result, stdout } = await execute(launcher, {
        language: 'python',
        script:
          'import os, sys\nprint(sys.argv[1:], os.getcwd(), os.environ["G"])\nprint(__file__)',
        args: ['a', 'b'],
        env: { ...baseEnv, G: 'py' },
        cwd: dir,
      })
      expect(result.errorMessage).to.equal(null)
      expect(stdout[0]).to.equal(`['a', 'b'] ${dir} py`)
      const file = stdout[1]!
      expect(path.basename(path.dirname(file))).to.match(/^weir-/)
      expect(file.startsWith(dir)).to.equal(false)
      expect(file.endsWith('.py')).to.equal(true)
      expect(existsSync(file)).to.equal(false)
    })

    it('runs inline javascript with node', async () => {
      const { result, stdout } = await execute(launcher, {
        language: 'javascript',
        script: 'console.log(JSON.stringify([process.argv.slice(2), process.cwd(), __filename]))',
        args: ['x'],
        cwd: dir,
      })
      expect(result.errorMessage).to.equal(null)
      const [argv, cwd, file] = JSON.parse(stdout[0]!) as [string[], string, string]
      expect(argv).to.deep.equal(['x'])
      expect(cwd).to.equal(dir)
      expect(existsSync(file)).to.equal(false)
    })

    it('runs inline typescript as an ES module (types, top-level await, node: imports)', async () => {
      const { result, stdout } = await execute(launcher, {
        language: 'typescript',
        script: [
          "import { basename } from 'node:path'",
          'interface Greeting { readonly to: string }',
          'const g: Greeting = { to: process.argv[2] ?? "nobody" }',
          'const n: number = await Promise.resolve(42)',
          'console.log(JSON.stringify([g.to, n, process.cwd(), basename(import.meta.filename)]))',
          'console.log(`OUTPUT: {"answer": ${n}}`)',
        ].join('\n'),
        args: ['ts'],
        cwd: dir,
      })
      expect(result.errorMessage).to.equal(null)
      expect(result.exitCode).to.equal(0)
      expect(JSON.parse(stdout[0]!)).to.deep.equal(['ts', 42, dir, 'step.mts'])
      expect(result.output).to.deep.equal({ answer: 42 })
    })

    it('reports a TypeScript syntax error as a failed step with the message on stderr', async () => {
      const { result, lines } = await execute(launcher, {
        language: 'typescript',
        script: 'const x: number = = 1',
        cwd: dir,
      })
      expect(result.exitCode).to.equal(1)
      const stderr = lines.filter((l) => l.stream === 'stderr').map((l) => l.line)
      expect(stderr.join('\n')).to.match(/Transform failed|Unexpected "="/)
    })

    it('executes an executable source file directly and a plain one with bash', async () => {
      const exe = path.join(dir, 'exe.sh')
      await writeFile(exe, '#!/bin/sh\necho "exe $1"\n')
      await chmod(exe, 0o755)
      const plain = path.join(dir, 'plain.sh')
      await writeFile(plain, 'echo "plain $1 ${BASH_VERSION:+bash}"\n')
      const a = await execute(launcher, { sourcePath: exe, args: ['1'], cwd: dir })
      const b = await execute(launcher, { sourcePath: plain, args: ['2'], cwd: dir })
      expect(a.stdout).to.deep.equal(['exe 1'])
      expect(b.stdout).to.deep.equal(['plain 2 bash'])
    })

    it('runs python and javascript source files', async () => {
      const py = path.join(dir, 'tool.py')
      await writeFile(py, 'import sys\nprint("py", sys.argv[1])\n')
      const js = path.join(dir, 'tool.js')
      await writeFile(js, 'console.log("js", process.argv[2])\n')
      const a = await execute(launcher, {
        language: 'python',
        sourcePath: py,
        args: ['p'],
        cwd: dir,
      })
      const b = await execute(launcher, {
        language: 'javascript',
        sourcePath: js,
        args: ['j'],
        cwd: dir,
      })
      expect(a.stdout).to.deep.equal(['py p'])
      expect(b.stdout).to.deep.equal(['js j'])
    })

    it('runs a typescript source file that imports another one', async () => {
      await writeFile(
        path.join(dir, 'lib.ts'),
        'export const twice = (n: number): number => n * 2\n',
      )
      const main = path.join(dir, 'main.ts')
      await writeFile(
        main,
        "import { twice } from './lib.ts'\nconsole.log('ts', twice(Number(process.argv[2])))\n",
      )
      const { result, stdout } = await execute(launcher, {
        language: 'typescript',
        sourcePath: main,
        args: ['21'],
        cwd: dir,
      })
      expect(result.errorMessage).to.equal(null)
      expect(stdout).to.deep.equal(['ts 42'])
    })

    it('keeps the last valid OUTPUT: line, warns about invalid ones, never scans stderr', async () => {
      const { result, stdout } = await execute(launcher, {
        script: [
          `echo 'OUTPUT: {"n": 1}'`,
          `echo 'OUTPUT:{"n": 2}'`,
          `echo 'OUTPUT: {not json'`,
          `echo 'OUTPUT: {"n": 3}' >&2`,
          `echo ' OUTPUT: {"n": 4}'`,
        ].join('\n'),
        cwd: dir,
      })
      expect(result.output).to.deep.equal({ n: 2 })
      expect(result.outputWarnings).to.have.length(1)
      expect(result.outputWarnings[0]).to.match(/stdout line 3\): invalid JSON/)
      expect(stdout).to.include('OUTPUT: {not json')
    })

    it('reports output as undefined when there is no OUTPUT: line', async () => {
      const { result } = await execute(launcher, { script: 'echo hi', cwd: dir })
      expect(result.output).to.equal(undefined)
    })

    it('fails a non-zero exit with the exit code and the stderr tail', async () => {
      const { result } = await execute(launcher, {
        script: 'echo out; echo oops >&2; exit 3',
        cwd: dir,
      })
      expect(result.exitCode).to.equal(3)
      expect(result.stderrTail).to.equal('oops\n')
      expect(result.errorMessage).to.equal('Exit code: 3\nStderr: oops')
    })

    it('keeps only the last 4 KiB of stderr in the tail', async () => {
      const { result, lines } = await execute(launcher, {
        script: "head -c 10000 /dev/zero | tr '\\0' e >&2; echo end >&2; exit 1",
        cwd: dir,
      })
      expect(Buffer.byteLength(result.stderrTail)).to.equal(4096)
      expect(result.stderrTail.endsWith('eeeend\n')).to.equal(true)
      const stderr = lines.filter((l) => l.stream === 'stderr')
      expect(stderr.map((l) => l.line.length)).to.deep.equal([10003])
    })

    it('reports a process killed by a signal', async () => {
      const { result } = await execute(launcher, { script: 'kill -KILL $$', cwd: dir })
      expect(result.exitCode).to.equal(null)
      expect(result.signal).to.equal('SIGKILL')
      expect(result.errorMessage).to.match(/^Killed by signal SIGKILL\nStderr: /)
    })

    it('reports an interpreter that does not exist as a spawn error', async () => {
      const { result } = await execute(launcher, {
        script: 'echo hi',
        interpreter: 'weir-no-such-interpreter',
        cwd: dir,
      })
      expect(result.spawnError).to.match(/'weir-no-such-interpreter': command not found/)
      expect(result.errorMessage).to.equal(result.spawnError)
      expect(result.exitCode).to.equal(null)
    })

    it('reports a missing working directory or source file before spawning', async () => {
      const a = await execute(launcher, { script: 'true', cwd: path.join(dir, 'missing') })
      expect(a.result.spawnError).to.match(/^working directory not found/)
      const b = await execute(launcher, { sourcePath: path.join(dir, 'nope.sh'), cwd: dir })
      expect(b.result.spawnError).to.match(/^source file not found/)
    })

    it('turns binary output into valid UTF-8 lines without throwing', async () => {
      const { result, lines } = await execute(launcher, {
        script: 'head -c 2000 /dev/urandom; head -c 2000 /dev/urandom >&2',
        cwd: dir,
      })
      expect(result.exitCode).to.equal(0)
      expect(lines.length).to.be.greaterThan(0)
      for (const { line } of lines) {
        expect(line).not.to.contain('\n')
        expect(Buffer.from(line, 'utf8').toString('utf8')).to.equal(line)
      }
    })

    it('splits a 200 KiB line into four records', async () => {
      const { stdout } = await execute(launcher, {
        script: "head -c 204800 /dev/zero | tr '\\0' a; echo; echo after",
        cwd: dir,
      })
      expect(stdout.map((l) => l.length)).to.deep.equal([65536, 65536, 65536, 8192, 5])
    })

    it('drops a trailing carriage return and emits an unterminated last line', async () => {
      const { stdout } = await execute(launcher, {
        script: "printf 'a\\r\\nb\\r\\nlast'",
        cwd: dir,
      })
      expect(stdout).to.deep.equal(['a', 'b', 'last'])
    })
  })
}
