/**
 * A pg Client that runs parameterised statements as named prepared statements, so PostgreSQL
 * parses (and, once it settles on a generic plan, plans) each distinct query text once per
 * connection instead of on every execution. Measured on a 1-row lookup: 0.29 ms → 0.13 ms; the
 * claim CTE spent about 1.2 ms of its 1.7 ms server time in parse and plan.
 *
 * Bounded: the first `MAX_NAMED` distinct texts seen by a connection are named, later ones run
 * unnamed as before, so queries whose text varies (batch inserts of N rows, IN lists) cannot grow
 * the server's or the client's statement cache without limit. Statements without parameters
 * (BEGIN, COMMIT, DDL) always run unnamed. Turn it off (`db.prepared_statements: false`) behind a
 * pooler in transaction mode, which cannot keep a session's prepared statements.
 */
import { createHash } from 'node:crypto'
import pg from 'pg'

const MAX_NAMED = 400

/** Statement name for a query text: stable across connections, collision-free in practice. */
const names = new Map<string, string>()
function nameOf(text: string): string {
  let name = names.get(text)
  if (name === undefined) {
    name = 'w' + createHash('sha1').update(text).digest('base64url').slice(0, 20)
    if (names.size < MAX_NAMED * 4) names.set(text, name)
  }
  return name
}

export class PreparedClient extends pg.Client {
  readonly #named = new Set<string>()

  // pg's overloads are not expressible in a subclass; the runtime contract is (config, values, cb).
  /* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument */
  override query(config: any, values?: any, callback?: any): any {
    if (typeof config === 'string' && Array.isArray(values) && values.length > 0) {
      const name = nameOf(config)
      if (this.#named.has(name) || this.#named.size < MAX_NAMED) {
        this.#named.add(name)
        return super.query({ name, text: config, values }, callback)
      }
    }
    return super.query(config, values, callback)
  }
  /* eslint-enable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument */
}
