import { expect } from 'chai'
import {
  addedPerLevel,
  chainStepTimes,
  executeToCreated,
  fanOutPhases,
  medianPhases,
  nestingPhases,
  parallelStepsFinished,
  type TimedEvent,
} from '../../../scripts/bench/compose-phases.ts'

function ev(
  type: string,
  at: number,
  step: string | null = null,
  job = 'j',
  task = 't',
): TimedEvent {
  return { type, jobId: job, task, step, at }
}

describe('bench compose phases', () => {
  describe('fanOutPhases', () => {
    const staticRun = [
      ev('job.created', 2),
      ev('step.started', 3, 'first'),
      ev('step.finished', 5, 'first'),
      ev('step.started', 6, 's0'),
      ev('step.started', 7, 's1'),
      ev('step.finished', 9, 's0'),
      ev('step.finished', 12, 's1'),
      ev('step.started', 14, 'last'),
      ev('step.finished', 15, 'last'),
      ev('job.finished', 15),
    ]

    it('splits a static fan-out into the hand-offs around its parallel steps', () => {
      const p = fanOutPhases(staticRun, 0, { head: 'first', tail: 'last', loop: null })
      expect(p).to.deep.equal({
        'execute → head started': 3,
        'head started → finished': 2,
        'head finished → first parallel step started': 1,
        'first parallel step started → last finished': 6,
        'last parallel step finished → tail started': 2,
        'tail started → job finished': 1,
        'execute → job finished': 15,
      })
      expect(
        parallelStepsFinished(staticRun, { head: 'first', tail: 'last', loop: null }),
      ).to.equal(2)
    })

    it('splits out the loop step: its expansion and its end', () => {
      const loopRun = [
        ev('step.started', 3, 'first'),
        ev('step.finished', 5, 'first'),
        ev('step.started', 5.5, 'items'),
        ev('step.started', 6, 'items[0]'),
        ev('step.started', 7, 'items[1]'),
        ev('step.finished', 9, 'items[0]'),
        ev('step.finished', 12, 'items[1]'),
        ev('step.finished', 12.5, 'items'),
        ev('step.started', 14, 'last'),
        ev('job.finished', 15),
      ]
      const shape = { head: 'first', tail: 'last', loop: 'items' }
      const p = fanOutPhases(loopRun, 0, shape)
      expect(p['head finished → first parallel step started']).to.equal(1)
      expect(p['first parallel step started → last finished']).to.equal(6)
      expect(p['  head finished → loop step started']).to.equal(0.5)
      expect(p['  loop step started → first instance started']).to.equal(0.5)
      expect(p['  last instance finished → loop step finished']).to.equal(0.5)
      expect(p['  loop step finished → tail started']).to.equal(1.5)
      expect(parallelStepsFinished(loopRun, shape)).to.equal(2)
    })

    it('gives NaN for a phase whose events are missing', () => {
      const p = fanOutPhases([ev('step.started', 3, 'first')], 0, {
        head: 'first',
        tail: 'last',
        loop: null,
      })
      expect(p['execute → head started']).to.equal(3)
      expect(p['tail started → job finished']).to.be.NaN
    })
  })

  describe('nestingPhases', () => {
    it('times each level down (child created) and up (child end → parent end)', () => {
      // a runs b (its step `call`), b runs c (one step); all created by the execute.
      const events = [
        ev('job.created', 4, null, 'A', 'a'),
        ev('job.created', 4, null, 'B', 'b'),
        ev('job.created', 4, null, 'C', 'c'),
        ev('step.finished', 10, 'only', 'C', 'c'),
        ev('job.finished', 10, null, 'C', 'c'),
        ev('step.finished', 13, 'call', 'B', 'b'),
        ev('job.finished', 13.5, null, 'B', 'b'),
        ev('step.finished', 17, 'call', 'A', 'a'),
        ev('job.finished', 17, null, 'A', 'a'),
      ]
      expect(nestingPhases(events, 1, ['a', 'b', 'c'], 'call')).to.deep.equal({
        down: [0, 0],
        up: [3.5, 3.5],
        childEndToStep: [3.5, 3],
        stepToJobEnd: [0, 0.5],
        leaf: 6,
        execute: 3,
        total: 16,
      })
      expect(executeToCreated(events, 1)).to.equal(3)
    })
  })

  it('chainStepTimes: each step end after the previous one (the first after the execute)', () => {
    const events = [
      ev('job.created', 1),
      ev('step.finished', 4, 's1'),
      ev('step.started', 5, 's2'),
      ev('step.finished', 6, 's2'),
      ev('step.finished', 9, 's3'),
    ]
    expect(chainStepTimes(events, 0)).to.deep.equal([4, 2, 3])
  })

  it('addedPerLevel divides the difference by the levels', () => {
    expect(addedPerLevel(50, 35, 5)).to.equal(3)
    expect(addedPerLevel(50, 35, 0)).to.be.NaN
  })

  it('medianPhases takes the median of each phase, leaving NaN samples out', () => {
    const m = medianPhases([
      { a: 1, b: NaN },
      { a: 5, b: 2 },
      { a: 3, b: NaN },
    ])
    expect(m).to.deep.equal({ a: 3, b: 2 })
    expect(medianPhases([{ a: NaN }])).to.deep.equal({ a: NaN })
  })
})
