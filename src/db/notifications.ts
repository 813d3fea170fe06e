/**
 * LISTEN/NOTIFY wake-ups between replicas on PostgreSQL. The listener holds its own unpooled
 * connection and reconnects with backoff; a lost notification only costs latency (safety poll).
 */
import { sql, type Kysely } from 'kysely'
import pg from 'pg'
import type { Logger } from '../shared/logger.ts'
import type { DB } from './schema.ts'

export const READY_CHANNEL = 'weir_ready'

export async function notify(db: Kysely<DB>, channel: string, payload = ''): Promise<void> {
  await sql`SELECT pg_notify(${channel}, ${payload})`.execute(db)
}

/** Several notifications on one channel in one statement (one round trip, delivered together). */
export async function notifyMany(
  db: Kysely<DB>,
  channel: string,
  payloads: ReadonlyArray<string>,
): Promise<void> {
  if (payloads.length === 0) return
  await sql`SELECT pg_notify(${channel}, p) FROM unnest(${[...payloads]}::text[]) AS p`.execute(db)
}

export interface Listener {
  close(): Promise<void>
}

export function listen(
  config: pg.ClientConfig,
  channels: ReadonlyArray<string>,
  onNotify: (channel: string, payload: string) => void,
  logger: Logger,
): Listener {
  let client: pg.Client | null = null
  let closed = false
  let retry: NodeJS.Timeout | null = null
  let attempt = 0
  const connect = async () => {
    if (closed) return
    const c = new pg.Client(config)
    c.on('error', (err) => logger.warn({ err }, 'notification connection failed'))
    c.on('end', () => {
      client = null
      if (!closed) schedule()
    })
    c.on('notification', (m) => onNotify(m.channel, m.payload ?? ''))
    try {
      await c.connect()
      for (const ch of channels) await c.query(`LISTEN ${pg.escapeIdentifier(ch)}`)
      client = c
      attempt = 0
      // a notification may have been missed while reconnecting
      for (const ch of channels) onNotify(ch, '')
    } catch (err) {
      logger.warn({ err }, 'could not listen for notifications; retrying')
      await c.end().catch(() => undefined)
      schedule()
    }
  }
  const schedule = () => {
    if (closed || retry) return
    retry = setTimeout(
      () => {
        retry = null
        void connect()
      },
      Math.min(5000, 100 * 2 ** attempt++),
    )
  }
  void connect()
  return {
    async close() {
      closed = true
      if (retry) clearTimeout(retry)
      await client?.end().catch(() => undefined)
    },
  }
}
