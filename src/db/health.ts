/** Database reachability check for /readyz. */
import { sql, type Kysely } from 'kysely'
import { coerceError } from '../shared/errors.ts'
import type { DB } from './schema.ts'

/** 'ok', or 'error: <reason>' when the database does not answer within `timeoutMs`. */
export async function checkDatabase(db: Kysely<DB>, timeoutMs = 2000): Promise<string> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('error: no answer within 2 s'), timeoutMs)
  })
  try {
    return await Promise.race([sql`SELECT 1`.execute(db).then(() => 'ok'), timeout])
  } catch (e) {
    return `error: ${coerceError(e).message}`
  } finally {
    clearTimeout(timer)
  }
}
