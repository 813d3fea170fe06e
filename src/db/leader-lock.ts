/**
 * Leader election (ARCHITECTURE.md §6 "Leader"). On PostgreSQL a dedicated, unpooled connection
 * holds a session advisory lock; the holder checks its connection every 2 s and loses leadership
 * the moment the check fails, and a follower retries the lock every 2 s. Nothing's correctness
 * rests on a single leader (scheduler fires and sweeps are fenced in SQL); the lock only keeps
 * the background loops from doing the same work twice. PGlite has one process: always leader.
 */
import pg from 'pg'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import type { Database } from './create-db.ts'

/** The advisory lock key all Weir replicas contend for: the ASCII bytes of "weirlead" as a bigint. */
export const LEADER_LOCK_KEY = '8603398603326972260'

const INTERVAL_MS = 2000

export interface LeaderCallbacks {
  /** Called when this process becomes leader: start the leader-only loops. */
  onElected(): void
  /** Called when leadership is lost (connection failure): stop those loops at once. */
  onLost(): void
}

export interface LeaderElection {
  start(): void
  /** Stops trying and releases the lock (a follower takes over at once). Idempotent. */
  stop(): Promise<void>
  isLeader(): boolean
}

/** Creates the election for `database`; nothing happens before `start()`. */
export function createLeaderElection(
  database: Database,
  logger: Logger,
  callbacks: LeaderCallbacks,
): LeaderElection {
  if (database.kind === 'pglite' || !database.pgConfig) return alwaysLeader(callbacks)
  return new AdvisoryLockElection(database.pgConfig, logger, callbacks)
}

function alwaysLeader(callbacks: LeaderCallbacks): LeaderElection {
  let leader = false
  return {
    start() {
      if (leader) return
      leader = true
      callbacks.onElected()
    },
    async stop() {
      leader = false
    },
    isLeader: () => leader,
  }
}

class AdvisoryLockElection implements LeaderElection {
  readonly #config: pg.ClientConfig
  readonly #logger: Logger
  readonly #callbacks: LeaderCallbacks
  #client: pg.Client | null = null
  #leader = false
  #started = false
  #stopped = false
  #timer: NodeJS.Timeout | null = null
  #tick: Promise<void> = Promise.resolve()
  #stopping: Promise<void> | null = null

  constructor(config: pg.PoolConfig, logger: Logger, callbacks: LeaderCallbacks) {
    const { connectionString, host, port, user, password, database, ssl } = config
    this.#config = {
      connectionString,
      host,
      port,
      user,
      password,
      database,
      ssl,
      connectionTimeoutMillis: 5000,
      query_timeout: 5000,
      keepAlive: true,
    }
    this.#logger = logger.child({ component: 'leader' })
    this.#callbacks = callbacks
  }

  isLeader(): boolean {
    return this.#leader
  }

  start(): void {
    if (this.#started || this.#stopped) return
    this.#started = true
    this.#run()
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop()
    return this.#stopping
  }

  async #stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    await this.#tick
    const client = this.#client
    this.#client = null
    this.#leader = false
    if (!client) return
    // Ending the session releases the lock; the explicit unlock just makes it immediate.
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [LEADER_LOCK_KEY]).catch(() => {})
    await client.end().catch(() => {})
  }

  /** One check or attempt now, then the next one in 2 s; ticks never overlap. */
  #run(): void {
    this.#tick = this.#step().finally(() => {
      if (!this.#stopped) this.#timer = setTimeout(() => this.#run(), INTERVAL_MS)
    })
  }

  async #step(): Promise<void> {
    try {
      if (this.#leader) await this.#check()
      else await this.#tryAcquire()
    } catch (e) {
      this.#logger.warn({ err: coerceError(e) }, 'leader lock connection failed')
      await this.#dropConnection()
    }
  }

  async #check(): Promise<void> {
    const client = this.#client
    if (!client) throw new Error('leader connection is gone')
    await client.query('SELECT 1')
  }

  async #tryAcquire(): Promise<void> {
    const client = this.#client ?? (await this.#connect())
    const res = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1::bigint) AS locked',
      [LEADER_LOCK_KEY],
    )
    if (!res.rows[0]?.locked || this.#stopped) return
    this.#leader = true
    this.#logger.info('elected leader')
    this.#callbacks.onElected()
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client(this.#config)
    // Errors on an idle connection arrive as events; the next check reports and drops it.
    client.on('error', (err) => this.#logger.warn({ err }, 'leader lock connection error'))
    client.on('end', () => {
      if (this.#client === client) this.#client = null
    })
    try {
      await client.connect()
    } catch (e) {
      await client.end().catch(() => {})
      throw e
    }
    this.#client = client
    return client
  }

  async #dropConnection(): Promise<void> {
    const client = this.#client
    this.#client = null
    if (this.#leader) {
      this.#leader = false
      this.#logger.warn('lost leadership')
      this.#callbacks.onLost()
    }
    await client?.end().catch(() => {})
  }
}
