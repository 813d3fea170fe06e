/**
 * For `weir users` and `weir api-keys`: opens the configured database (migrating it first, as
 * `weir migrate` would) and hands an AccountService to the command; no server is needed.
 */
import { AccountService, DEFAULT_API_KEY_TTL_SECS } from '../auth/account-service.ts'
import { systemClock } from '../shared/clock.ts'
import { isAppError } from '../shared/errors.ts'
import { withDatabase } from './command-database.ts'
import type { CommandContext } from './index.ts'

/** Audit entries written by the operator CLI name this actor. */
export const CLI_ACTOR = { actorType: 'system', actor: 'cli', address: null } as const

export function withAccounts(
  ctx: CommandContext,
  configPath: string | undefined,
  fn: (accounts: AccountService) => Promise<number>,
): Promise<number> {
  return withDatabase(ctx, configPath, (database, config) =>
    fn(
      new AccountService({
        db: database.db,
        clock: systemClock,
        apiKeyDefaultTtlSecs: config.auth?.api_key_default_ttl ?? DEFAULT_API_KEY_TTL_SECS,
      }),
    ),
  )
}

/** Reads all of stdin (for --password-stdin), without the final line break. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}

/** Prints an expected failure (bad input, not found, conflict) as one line; rethrows the rest. */
export function reportFailure(command: string, e: unknown): number {
  if (isAppError(e) && e.status < 500) {
    console.error(`${command}: ${e.message}`)
    return 1
  }
  throw e
}
