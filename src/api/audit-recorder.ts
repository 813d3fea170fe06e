/**
 * `deps.audit.record(ctx, {...})`: appends an audit entry for the request in `ctx`. The actor is
 * the authenticated user (ctx.state.principal), else what the caller names (a worker), else
 * anonymous; the address is the client's. A failure to write is logged, never thrown: the
 * action it describes has already happened.
 */
import type { Context } from 'koa'
import type { AuditEntry, AuditFilter, ActorType, NewAuditEntry } from '../shared/accounts.ts'
import type { BoundedCount } from '../shared/bounded-count.ts'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import { principalOf } from './middleware/auth.ts'

export interface AuditRecord {
  /** `noun.verb`, past tense: `job.executed`, `worker.drained`, … */
  readonly action: string
  readonly targetType?: string
  readonly targetId?: string
  readonly outcome?: 'success' | 'failure'
  readonly details?: Readonly<Record<string, unknown>>
  /** Who acted when no user is authenticated on the request (e.g. a worker on /worker). */
  readonly actor?: { readonly type: ActorType; readonly name: string | null }
}

export interface AuditRecorder {
  record(ctx: Context, r: AuditRecord): Promise<void>
  /** The entry `record` would write, for writing it with the action itself (execute). */
  entry(ctx: Context, r: AuditRecord): NewAuditEntry
  list(f: AuditFilter): Promise<{ entries: AuditEntry[]; total: BoundedCount | null }>
}

export function createAuditRecorder(
  store: {
    recordAudit(e: NewAuditEntry): Promise<void>
    listAudit(f: AuditFilter): Promise<{ entries: AuditEntry[]; total: BoundedCount | null }>
  },
  logger: Logger,
): AuditRecorder {
  const entry = (ctx: Context, r: AuditRecord): NewAuditEntry => {
    const principal = principalOf(ctx)
    return {
      actorType: principal ? 'user' : (r.actor?.type ?? 'anonymous'),
      actor: principal ? principal.email : (r.actor?.name ?? null),
      action: r.action,
      targetType: r.targetType ?? null,
      targetId: r.targetId ?? null,
      address: ctx.ip || null,
      outcome: r.outcome ?? 'success',
      details: r.details ?? null,
    }
  }
  return {
    entry,
    async record(ctx, r) {
      try {
        await store.recordAudit(entry(ctx, r))
      } catch (e) {
        logger.error({ err: coerceError(e), action: r.action }, 'audit entry could not be written')
      }
    },
    list: (f) => store.listAudit(f),
  }
}
