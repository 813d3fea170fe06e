/**
 * B15 (a `for_each` loop against the same steps written as a static fan-out) and B16 (nested
 * sub-tasks against the same steps inline). Both run with the no-op launcher (each step "exits
 * 0" at once, as in B6), so what is timed is the engine: claims, finishes, loop expansion, child
 * jobs. The variants of one scenario alternate, job by job, so load on a shared machine falls on
 * both alike. Each job is timed from its HTTP execute to its `job.finished` event, and the
 * domain events it published are kept to show where the time goes (compose-phases.ts).
 */
import type { BenchContext, ScenarioResult } from '../context.ts'
import { repeat } from '../context.ts'
import {
  addedPerLevel,
  chainStepTimes,
  executeToCreated,
  fanOutPhases,
  medianPhases,
  nestingPhases,
  parallelStepsFinished,
  type FanOutShape,
  type Phases,
  type TimedEvent,
} from '../compose-phases.ts'
import type { DbKind } from '../options.ts'
import { judge, type Row } from '../report.ts'
import { summarize } from '../stats.ts'
import type { WeirUnderTest } from '../weir-harness.ts'

const LOOP_TARGET = 1.2
const LEVEL_TARGET_MS = 5
const FAN_OUT = 200
const LOOP_SHAPE: FanOutShape = { head: 'first', tail: 'last', loop: 'items' }
const STATIC_SHAPE: FanOutShape = { head: 'first', tail: 'last', loop: null }
/** The nested chain, outermost first: each runs the next from its step `call`. */
const NESTED = ['nest0', 'nest1', 'nest2', 'nest3', 'nest4', 'echo1'] as const
const LEVELS = NESTED.length - 1

/** Records every domain event about a job until stopped (jobs run one at a time here). */
function recordEvents(weir: WeirUnderTest): { events: TimedEvent[]; stop(): void } {
  const events: TimedEvent[] = []
  const listener = (evs: ReadonlyArray<{ type: string; data: unknown }>) => {
    const at = performance.now()
    for (const e of evs) {
      const d = e.data as { job_id?: string; task_name?: string; step_name?: string }
      if (!d.job_id) continue
      events.push({
        type: e.type,
        jobId: d.job_id,
        task: d.task_name ?? '',
        step: d.step_name ?? null,
        at,
      })
    }
  }
  weir.runtime.events.bus.on('events', listener)
  return { events, stop: () => weir.runtime.events.bus.off('events', listener) }
}

/** One job: execute → job.finished on the client clock, with the events of its run. */
async function timedRun(
  weir: WeirUnderTest,
  task: string,
): Promise<{ ms: number; t0: number; events: TimedEvent[] }> {
  const rec = recordEvents(weir)
  try {
    const t0 = performance.now()
    const { ms } = await weir.run(task)
    return { ms, t0, events: rec.events }
  } finally {
    rec.stop()
  }
}

/** Runs `fn` with the no-op launcher, restoring the real one after. */
async function withNoopSteps<T>(weir: WeirUnderTest, fn: () => Promise<T>): Promise<T> {
  weir.launcher.mode = 'noop'
  try {
    return await fn()
  } finally {
    weir.launcher.mode = 'real'
  }
}

/** `variants` in turn, the order rotated each round, until `count` rounds or `maxMs`. */
async function alternate(
  limits: { count: number; maxMs: number; minCount: number },
  variants: ReadonlyArray<(round: number) => Promise<void>>,
): Promise<number> {
  return repeat(limits, async (round) => {
    for (let k = 0; k < variants.length; k++) await variants[(round + k) % variants.length]!(round)
  })
}

function round1(ms: number): number {
  return Math.round(ms * 10) / 10
}

function roundPhases(p: Phases): Phases {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, round1(v)]))
}

export async function runB15(
  ctx: BenchContext,
  db: DbKind,
  weir: WeirUnderTest,
): Promise<ScenarioResult> {
  const samples = { loop: [] as number[], fanOut: [] as number[] }
  const phases = { loop: [] as Phases[], fanOut: [] as Phases[] }
  const one = async (task: 'loop200' | 'fanout200', key: 'loop' | 'fanOut', keep: boolean) => {
    const shape = task === 'loop200' ? LOOP_SHAPE : STATIC_SHAPE
    const r = await timedRun(weir, task)
    const done = parallelStepsFinished(r.events, shape)
    if (done !== FAN_OUT)
      throw new Error(`${task}: ${done} parallel steps finished, not ${FAN_OUT}`)
    if (!keep) return
    samples[key].push(r.ms)
    phases[key].push(fanOutPhases(r.events, r.t0, shape))
  }
  const rounds = await withNoopSteps(weir, async () => {
    // A warm-up job of each (skipped with --quick: a job takes seconds, and the server is warm).
    if (!ctx.quick) {
      await one('loop200', 'loop', false)
      await one('fanout200', 'fanOut', false)
    }
    return alternate({ count: ctx.quick ? 2 : 12, maxMs: ctx.quick ? 0 : 50_000, minCount: 2 }, [
      () => one('loop200', 'loop', true),
      () => one('fanout200', 'fanOut', true),
    ])
  })
  ctx.progress(`B15 ${db}: ${rounds} rounds of loop + static fan-out`)
  const loop = summarize(samples.loop)
  const fanOut = summarize(samples.fanOut)
  const ratio = loop.p50 / fanOut.p50
  const loopPhases = medianPhases(phases.loop)
  const fanOutPhasesMedian = medianPhases(phases.fanOut)
  const phaseRow = (name: string, key: string, of: ReadonlyArray<Phases>): Row => ({
    scenario: 'B15',
    name,
    db,
    latency: summarize(of.map((p) => p[key] ?? NaN).filter((x) => Number.isFinite(x))),
  })
  const rows: Row[] = [
    {
      scenario: 'B15',
      name: `for_each ${FAN_OUT}: 1 → loop → 1, no-op steps`,
      db,
      latency: loop,
    },
    {
      scenario: 'B15',
      name: `static fan-out 1 → ${FAN_OUT} → 1, no-op steps`,
      db,
      latency: fanOut,
    },
    {
      scenario: 'B15',
      name: 'loop ÷ static fan-out (p50)',
      db,
      value: { amount: ratio, unit: '×' },
      target: `≤ ${LOOP_TARGET}×`,
      met: judge(db, Number.isFinite(ratio) ? ratio <= LOOP_TARGET : undefined),
    },
    phaseRow(
      `  loop: ${FAN_OUT} instances, first start → last end`,
      'first parallel step started → last finished',
      phases.loop,
    ),
    phaseRow(
      `  static: ${FAN_OUT} steps, first start → last end`,
      'first parallel step started → last finished',
      phases.fanOut,
    ),
    phaseRow(
      '  loop: head finished → first instance started',
      'head finished → first parallel step started',
      phases.loop,
    ),
    phaseRow(
      '  static: head finished → first step started',
      'head finished → first parallel step started',
      phases.fanOut,
    ),
    phaseRow(
      '  loop: last instance finished → tail started',
      'last parallel step finished → tail started',
      phases.loop,
    ),
    phaseRow(
      '  static: last step finished → tail started',
      'last parallel step finished → tail started',
      phases.fanOut,
    ),
  ]
  return {
    rows,
    data: {
      fanOut: FAN_OUT,
      launcher: 'no-op',
      loop,
      staticFanOut: fanOut,
      ratio,
      medianPhases: {
        loop: roundPhases(loopPhases),
        staticFanOut: roundPhases(fanOutPhasesMedian),
      },
    },
  }
}

function median(values: ReadonlyArray<number>): number {
  return summarize(values).p50
}

export async function runB16(
  ctx: BenchContext,
  db: DbKind,
  weir: WeirUnderTest,
): Promise<ScenarioResult> {
  const samples = { nested: [] as number[], chain: [] as number[], leaf: [] as number[] }
  const created = { nested: [] as number[], chain: [] as number[], leaf: [] as number[] }
  const nestings: ReturnType<typeof nestingPhases>[] = []
  const chainSteps: number[][] = []
  const one = async (task: string, key: 'nested' | 'chain' | 'leaf', keep: boolean) => {
    const r = await timedRun(weir, task)
    if (!keep) return
    samples[key].push(r.ms)
    created[key].push(executeToCreated(r.events, r.t0))
    if (key === 'nested') nestings.push(nestingPhases(r.events, r.t0, NESTED, 'call'))
    if (key === 'chain') chainSteps.push(chainStepTimes(r.events, r.t0))
  }
  const nested = (keep: boolean) => one(NESTED[0], 'nested', keep)
  const chain = (keep: boolean) => one('chain6', 'chain', keep)
  const leaf = (keep: boolean) => one('echo1', 'leaf', keep)
  const rounds = await withNoopSteps(weir, async () => {
    for (let i = 0; i < 5; i++) {
      await nested(false)
      await chain(false)
      await leaf(false)
    }
    return alternate(
      { count: ctx.quick ? 20 : 150, maxMs: ctx.quick ? 4000 : 40_000, minCount: 5 },
      [() => nested(true), () => chain(true), () => leaf(true)],
    )
  })
  ctx.progress(`B16 ${db}: ${rounds} rounds of nested + inline + 1-step`)
  const n = summarize(samples.nested)
  const c = summarize(samples.chain)
  const l = summarize(samples.leaf)
  const perLevel = addedPerLevel(n.p50, c.p50, LEVELS)
  const perLevelOverLeaf = addedPerLevel(n.p50, l.p50, LEVELS)
  const byLevel = (pick: (p: ReturnType<typeof nestingPhases>) => number[]) =>
    Array.from({ length: LEVELS }, (_, i) => round1(median(nestings.map((p) => pick(p)[i]!))))
  const levelUp = summarize(nestings.flatMap((p) => p.up))
  const chainStep = summarize(chainSteps.flatMap((s) => s.slice(1)))
  const rows: Row[] = [
    {
      scenario: 'B16',
      name: `nested sub-tasks, ${LEVELS} levels (6 jobs, 1 no-op step)`,
      db,
      latency: n,
    },
    { scenario: 'B16', name: 'the same steps inline: 6-step no-op chain', db, latency: c },
    { scenario: 'B16', name: 'the innermost task alone: 1 no-op step', db, latency: l },
    {
      scenario: 'B16',
      name: 'added per nesting level vs the 6-step chain',
      db,
      value: { amount: perLevel, unit: 'ms' },
      target: `≤ ${LEVEL_TARGET_MS} ms`,
      met: judge(db, Number.isFinite(perLevel) ? perLevel <= LEVEL_TARGET_MS : undefined),
    },
    {
      scenario: 'B16',
      name: '  added per level vs the 1-step job',
      db,
      value: { amount: perLevelOverLeaf, unit: 'ms' },
    },
    {
      scenario: 'B16',
      name: '  nested: execute → its 6 jobs created (events)',
      db,
      latency: summarize(created.nested),
    },
    {
      scenario: 'B16',
      name: '  1-step: execute → job created (events)',
      db,
      latency: summarize(created.leaf),
    },
    {
      scenario: 'B16',
      name: '  one level: child finished → parent finished',
      db,
      latency: levelUp,
    },
    {
      scenario: 'B16',
      name: '  inline: one step finished → the next finished',
      db,
      latency: chainStep,
    },
  ]
  return {
    rows,
    data: {
      launcher: 'no-op',
      levels: LEVELS,
      nested: n,
      chain6: c,
      oneStep: l,
      addedPerLevelVsChain: perLevel,
      addedPerLevelVsOneStep: perLevelOverLeaf,
      medianPhases: {
        executeToJobCreated: {
          nested: round1(median(created.nested)),
          chain6: round1(median(created.chain)),
          oneStep: round1(median(created.leaf)),
        },
        parentCreatedToChildCreated: byLevel((p) => p.down),
        childFinishedToParentFinished: byLevel((p) => p.up),
        childFinishedToParentStepFinished: byLevel((p) => p.childEndToStep),
        parentStepFinishedToParentFinished: byLevel((p) => p.stepToJobEnd),
        innermostJob: round1(median(nestings.map((p) => p.leaf))),
        total: round1(median(nestings.map((p) => p.total))),
        chainStepEndToEnd: Array.from({ length: 6 }, (_, i) =>
          round1(median(chainSteps.map((s) => s[i] ?? NaN))),
        ),
      },
    },
  }
}
