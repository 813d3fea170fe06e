/** Transactions with retry on serialization failures and deadlocks (both drivers). */
import type { Kysely, Transaction } from 'kysely'
import { RETRYABLE, pgErrorCode } from './pg-errors.ts'
import type { DB } from './schema.ts'

/** Runs `fn` in a transaction, retrying up to 5 times on 40001/40P01. Never await IO inside `fn`. */
export async function withTransaction<T>(
  db: Kysely<DB>,
  fn: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(fn)
    } catch (e) {
      const code = pgErrorCode(e)
      if (attempt >= 5 || code === undefined || !RETRYABLE.has(code)) throw e
    }
  }
}
