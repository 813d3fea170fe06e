import type { Stmt } from './ast.ts'
import { member, type TemplateMap } from './values.ts'

/**
 * Variable scopes while rendering. `set` writes to the innermost scope (Tera: a `set` inside a
 * loop stays in the loop), and reads fall back outward and finally to the render context.
 */
export class Scope {
  readonly #vars = new Map<string, unknown>()
  readonly #parent: Scope | null
  readonly #ctx: TemplateMap

  constructor(parent: Scope | null, ctx: TemplateMap) {
    this.#parent = parent
    this.#ctx = ctx
  }

  lookup(name: string): unknown {
    if (this.#vars.has(name)) return this.#vars.get(name)
    return this.#parent === null ? member(this.#ctx, name) : this.#parent.lookup(name)
  }

  set(name: string, value: unknown): void {
    this.#vars.set(name, value)
  }

  child(): Scope {
    return new Scope(this, this.#ctx)
  }
}

/** A `{% macro %}` bound to the scope it was defined in. */
export class MacroValue {
  readonly def: Extract<Stmt, { kind: 'macro' }>
  readonly scope: Scope

  constructor(def: Extract<Stmt, { kind: 'macro' }>, scope: Scope) {
    this.def = def
    this.scope = scope
  }
}
