/**
 * Leader-only background loops: while this replica holds the leader lock it runs a fresh set
 * (built by `makeLoops` at each election); when it loses the lock they stop at once. Part of the
 * composition of `weir serve` (engine-runtime.ts).
 */
import type { Database } from './db/create-db.ts'
import { createLeaderElection } from './db/leader-lock.ts'
import type { Logger } from './shared/logger.ts'
import type { Releasers } from './shared/releasers.ts'

export interface LeaderLoop {
  start(): void
  stop(): Promise<void>
}

export function startLeaderLoops(d: {
  readonly database: Database
  readonly logger: Logger
  readonly releasers: Releasers
  readonly makeLoops: () => LeaderLoop[]
}): void {
  const { logger } = d
  let current: LeaderLoop[] = []
  const election = createLeaderElection(d.database, logger, {
    onElected: () => {
      logger.info('elected leader')
      current = d.makeLoops()
      for (const loop of current) loop.start()
    },
    onLost: () => {
      logger.warn('lost leadership')
      const loops = current
      current = []
      for (const loop of loops) void loop.stop()
    },
  })
  election.start()
  d.releasers.add('leader election', () => election.stop())
  d.releasers.add('leader loops', async () => {
    await Promise.all(current.map((loop) => loop.stop()))
  })
}
