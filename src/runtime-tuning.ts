/**
 * Timings the config does not expose, for tests (short intervals) and benchmarks. Every field is
 * optional; the defaults are the documented ones.
 */
import type { ClusterTuning } from './cluster/log-cluster.ts'

export interface RuntimeTuning {
  /** SSE keep-alive period (API.md §8: 30 000 ms). */
  readonly ssePingMs?: number
  /** Logs across PostgreSQL replicas: heartbeats, takeover, follower and drain periods. */
  readonly cluster?: ClusterTuning
}
