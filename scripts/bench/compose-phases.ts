/**
 * Where the time of a composed job goes (B15, B16), from the domain events the server publishes
 * after each commit, as the bench process receives them (performance.now(), sub-millisecond).
 * Pure: events in, milliseconds out.
 */

export interface TimedEvent {
  readonly type: string
  readonly jobId: string
  readonly task: string
  /** The step of a `step.*` event, else null. */
  readonly step: string | null
  /** performance.now() when the event reached the bench. */
  readonly at: number
}

/** Named spans in milliseconds, in the order they happen. */
export type Phases = Record<string, number>

function firstAt(events: ReadonlyArray<TimedEvent>, type: string, step: string | null): number {
  return events.find((e) => e.type === type && e.step === step)?.at ?? NaN
}

function spanOf(events: ReadonlyArray<TimedEvent>, type: string): { min: number; max: number } {
  const ats = events.filter((e) => e.type === type).map((e) => e.at)
  return ats.length === 0
    ? { min: NaN, max: NaN }
    : { min: Math.min(...ats), max: Math.max(...ats) }
}

export interface FanOutShape {
  /** The step every parallel step depends on. */
  readonly head: string
  /** The step that depends on every parallel step (or on the loop step). */
  readonly tail: string
  /** The loop step whose instances are the parallel steps; null for a static fan-out. */
  readonly loop: string | null
}

/**
 * Phases of one `head → N parallel steps → tail` job whose execute was sent at `t0`: the steps
 * in the middle are every step but head, tail and the loop step. With a loop step, the hand-offs
 * to and from it are split out (the head's end → the loop step's start (its expansion) → the
 * first instance's start; the last instance's end → the loop step's end → the tail's start).
 */
export function fanOutPhases(
  events: ReadonlyArray<TimedEvent>,
  t0: number,
  shape: FanOutShape,
): Phases {
  const named = new Set([shape.head, shape.tail, shape.loop])
  const middle = events.filter((e) => e.step !== null && !named.has(e.step))
  const started = spanOf(middle, 'step.started')
  const finished = spanOf(middle, 'step.finished')
  const headStarted = firstAt(events, 'step.started', shape.head)
  const headFinished = firstAt(events, 'step.finished', shape.head)
  const tailStarted = firstAt(events, 'step.started', shape.tail)
  const jobFinished = firstAt(events, 'job.finished', null)
  const phases: Phases = {
    'execute → head started': headStarted - t0,
    'head started → finished': headFinished - headStarted,
    'head finished → first parallel step started': started.min - headFinished,
    'first parallel step started → last finished': finished.max - started.min,
    'last parallel step finished → tail started': tailStarted - finished.max,
    'tail started → job finished': jobFinished - tailStarted,
  }
  if (shape.loop !== null) {
    const loopStarted = firstAt(events, 'step.started', shape.loop)
    const loopFinished = firstAt(events, 'step.finished', shape.loop)
    phases['  head finished → loop step started'] = loopStarted - headFinished
    phases['  loop step started → first instance started'] = started.min - loopStarted
    phases['  last instance finished → loop step finished'] = loopFinished - finished.max
    phases['  loop step finished → tail started'] = tailStarted - loopFinished
  }
  phases['execute → job finished'] = jobFinished - t0
  return phases
}

/** How many distinct steps in the middle of a fan-out finished (a check on the shape). */
export function parallelStepsFinished(
  events: ReadonlyArray<TimedEvent>,
  shape: FanOutShape,
): number {
  const named = new Set([shape.head, shape.tail, shape.loop])
  const steps = events
    .filter((e) => e.type === 'step.finished' && e.step !== null && !named.has(e.step))
    .map((e) => e.step)
  return new Set(steps).size
}

export interface NestingPhases {
  /** Per level i: job i created → job i+1 (its child) created. */
  readonly down: number[]
  /** Per level i: job i+1 finished → job i finished. */
  readonly up: number[]
  /** Per level i: the child's job.finished → the parent's task step finished. */
  readonly childEndToStep: number[]
  /** Per level i: the parent's task step finished → the parent's job.finished. */
  readonly stepToJobEnd: number[]
  /** The innermost job, created → finished. */
  readonly leaf: number
  /** execute sent → the outermost job created. */
  readonly execute: number
  /** execute sent → the outermost job finished. */
  readonly total: number
}

/**
 * Phases of a chain of nested jobs, one job per task of `tasks` (outermost first; each job's
 * step `step` runs the next task as its child), from one run's events. Each task appears once.
 */
export function nestingPhases(
  events: ReadonlyArray<TimedEvent>,
  t0: number,
  tasks: ReadonlyArray<string>,
  step: string,
): NestingPhases {
  const jobOf = (task: string) => events.find((e) => e.type === 'job.created' && e.task === task)
  const at = (type: string, task: string, s: string | null) => {
    const id = jobOf(task)?.jobId
    return events.find((e) => e.type === type && e.jobId === id && e.step === s)?.at ?? NaN
  }
  const created = tasks.map((t) => at('job.created', t, null))
  const finished = tasks.map((t) => at('job.finished', t, null))
  const stepFinished = tasks.map((t) => at('step.finished', t, step))
  const levels = tasks.length - 1
  const range = Array.from({ length: levels }, (_, i) => i)
  return {
    down: range.map((i) => created[i + 1]! - created[i]!),
    up: range.map((i) => finished[i]! - finished[i + 1]!),
    childEndToStep: range.map((i) => stepFinished[i]! - finished[i + 1]!),
    stepToJobEnd: range.map((i) => finished[i]! - stepFinished[i]!),
    leaf: finished[levels]! - created[levels]!,
    execute: created[0]! - t0,
    total: finished[0]! - t0,
  }
}

/**
 * Per step of a chain job: the previous step's end (the first: the execute at `t0`) → this
 * step's end, in the order the steps finished.
 */
export function chainStepTimes(events: ReadonlyArray<TimedEvent>, t0: number): number[] {
  const ends = events
    .filter((e) => e.type === 'step.finished')
    .map((e) => e.at)
    .sort((a, b) => a - b)
  return ends.map((t, i) => t - (i === 0 ? t0 : ends[i - 1]!))
}

/** execute sent at `t0` → the first job's `job.created` (the HTTP request and the insert). */
export function executeToCreated(events: ReadonlyArray<TimedEvent>, t0: number): number {
  return (events.find((e) => e.type === 'job.created')?.at ?? NaN) - t0
}

/** Milliseconds each nesting level adds: (nested − inline) ÷ levels. */
export function addedPerLevel(nestedMs: number, inlineMs: number, levels: number): number {
  return levels > 0 ? (nestedMs - inlineMs) / levels : NaN
}

/** Median of each named phase over several jobs (NaN samples are left out). */
export function medianPhases(all: ReadonlyArray<Phases>): Phases {
  const out: Phases = {}
  for (const key of Object.keys(all[0] ?? {})) {
    const v = all
      .map((p) => p[key] ?? NaN)
      .filter((x) => Number.isFinite(x))
      .sort((a, b) => a - b)
    out[key] = v.length === 0 ? NaN : v[Math.floor(v.length / 2)]!
  }
  return out
}
