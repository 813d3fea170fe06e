import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'

const SRC = resolve(import.meta.dirname, '../../src')
const STATIC_RE = /^\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm
const DYNAMIC_RE = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g
const FORBIDDEN_PACKAGES = ['kysely', 'pg', '@electric-sql/pglite']

/**
 * Every module `entry` loads at run time (static and dynamic imports; type-only ones excepted):
 * src files as paths relative to src/, packages by name.
 */
function reachable(entry: string): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>()
  const packages = new Map<string, string>()
  const todo = [resolve(SRC, entry)]
  while (todo.length > 0) {
    const file = todo.pop()!
    const rel = relative(SRC, file)
    if (files.has(rel)) continue
    files.add(rel)
    const text = readFileSync(file, 'utf8')
    for (const m of [...text.matchAll(STATIC_RE), ...text.matchAll(DYNAMIC_RE)]) {
      const spec = m[1]!
      if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec))
      else if (!spec.startsWith('node:')) packages.set(spec, rel)
    }
  }
  return { files, packages }
}

function packageName(spec: string): string {
  const parts = spec.split('/')
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!
}

describe('`weir worker` loads no database code', () => {
  for (const entry of ['worker-app.ts', 'cli/commands/worker.ts']) {
    it(`src/${entry} reaches no src/db module, kysely, pg or PGlite`, () => {
      const { files, packages } = reachable(entry)
      expect(files).to.include('runner/worker.ts')
      expect([...files].filter((f) => f.startsWith('db/'))).to.deep.equal([])
      const bad = [...packages].filter(([spec]) => FORBIDDEN_PACKAGES.includes(packageName(spec)))
      expect(bad.map(([spec, from]) => `${spec} (from ${from})`)).to.deep.equal([])
    })
  }

  it('would notice a database import (the walk follows dynamic imports too)', () => {
    const { files, packages } = reachable('cli/index.ts')
    expect([...files].some((f) => f.startsWith('db/'))).to.equal(true)
    expect([...packages.keys()].map(packageName)).to.include('kysely')
  })
})
