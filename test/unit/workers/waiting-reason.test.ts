import { expect } from 'chai'
import { waitingReason } from '../../../src/workers/waiting-reason.ts'

const NOW = new Date('2026-03-02T10:00:00Z')

function step(over: Record<string, unknown> = {}) {
  return {
    status: 'ready' as const,
    actionType: 'docker',
    runner: 'docker',
    readyAt: null,
    spec: { action: { tags: [] as string[] } },
    ...over,
  } as unknown as Parameters<typeof waitingReason>[0]
}

const worker = (name: string, capabilities: string[], tags: string[] = [], status = 'active') =>
  ({ name, capabilities, tags, status }) as Parameters<typeof waitingReason>[1][number]

describe('why a ready step waits (waitingReason)', () => {
  it('names the missing capability and the workers seen', () => {
    expect(waitingReason(step(), [worker('embedded@h', ['script'])], NOW)).to.equal(
      "waiting for a worker with the 'docker' capability; no connected worker has it: embedded@h (script): a worker has it when it reaches a Docker Engine (see docker.host, or weir worker --docker-host)",
    )
  })

  it('says when no worker is connected at all (lost and revoked ones do not count)', () => {
    const gone = [worker('w', ['script', 'docker'], [], 'lost')]
    expect(waitingReason(step(), gone, NOW)).to.equal('waiting for a worker: none is connected')
  })

  it('names tags no capable worker has', () => {
    const s = step({ spec: { action: { tags: ['gpu'] } } })
    expect(waitingReason(s, [worker('w', ['docker'])], NOW)).to.match(/tags gpu; none of the 1/)
  })

  it('gives no reason when a worker could take it, or for steps that are not waiting on one', () => {
    expect(waitingReason(step(), [worker('w', ['script', 'docker'])], NOW)).to.equal(null)
    expect(waitingReason(step({ status: 'running' }), [], NOW)).to.equal(null)
    expect(waitingReason(step({ actionType: 'approval', runner: 'none' }), [], NOW)).to.equal(null)
    const later = step({ readyAt: new Date('2026-03-02T10:05:00Z') })
    expect(waitingReason(later, [], NOW)).to.equal(null)
    const script = step({ actionType: 'script', runner: 'local' })
    expect(waitingReason(script, [worker('w', ['script'])], NOW)).to.equal(null)
  })
})
