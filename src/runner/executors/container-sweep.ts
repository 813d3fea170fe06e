/** Removing step containers a worker left behind (after a kill -9 of its process). */
import type { DockerEngine } from './docker-engine.ts'
import { LABELS } from './container-command.ts'

/**
 * Removes every container labelled with `owner`: called by a worker at start, before it runs
 * anything, when none of its earlier containers can belong to a running step. Returns how many.
 */
export async function removeOwnedContainers(engine: DockerEngine, owner: string): Promise<number> {
  const left = await engine.listLabelled(`${LABELS.owner}=${owner}`)
  for (const c of left) await engine.remove(c.id)
  return left.length
}
