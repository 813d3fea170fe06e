import type { Args, FunctionSpec, RuntimeOptions } from './registry.ts'
import { rfc3339 } from './tera-date.ts'
import { TemplateError } from './template-error.ts'

/** Tera's global functions (§8.5). Clock, randomness and env come from RuntimeOptions. */

/** Guards rendering against `range(end=1e12)` exhausting memory on the dispatch path. */
export const MAX_RANGE = 100_000

/** `[start, end)` by `step`, bounded by MAX_RANGE. */
export function rangeList(start: number, end: number, step: number, owner: string): number[] {
  if (step <= 0) throw new TemplateError(`${owner}: step_by must be positive`)
  if (start > end)
    throw new TemplateError(`${owner}: start (${start}) is greater than end (${end})`)
  if ((end - start) / step > MAX_RANGE) {
    throw new TemplateError(`${owner}: more than ${MAX_RANGE} items requested`)
  }
  const out: number[] = []
  for (let i = start; i < end; i += step) out.push(i)
  return out
}

function range(args: Args): number[] {
  const end = args.integer('end')
  return rangeList(args.integer('start', 0), end, args.integer('step_by', 1), args.owner)
}

function now(args: Args, runtime: RuntimeOptions): string | number {
  const d = runtime.now()
  if (args.boolean('timestamp', false)) return Math.floor(d.getTime() / 1000)
  return rfc3339(d, args.boolean('utc', false) ? 0 : -d.getTimezoneOffset())
}

function getEnv(args: Args, runtime: RuntimeOptions): unknown {
  const name = args.string('name')
  const value = runtime.env[name]
  if (value !== undefined) return value
  if (args.has('default')) return args.get('default')
  throw new TemplateError(`${args.owner}: environment variable '${name}' is not set`)
}

function getRandom(args: Args, runtime: RuntimeOptions): number {
  const start = args.integer('start', 0)
  const end = args.integer('end')
  if (start >= end) throw new TemplateError(`${args.owner}: start must be less than end`)
  return start + Math.floor(runtime.random() * (end - start))
}

function throwError(args: Args): never {
  throw new TemplateError(args.string('message'))
}

export const FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  range: {
    params: ['end', 'start', 'step_by'],
    // Nunjucks/Python order: range(stop) or range(start, stop[, step]).
    positional: (count) => (count === 1 ? ['end'] : ['start', 'end', 'step_by']),
    portable: true,
    call: range,
  },
  now: { params: ['timestamp', 'utc'], portable: true, call: now },
  get_env: { params: ['name', 'default'], portable: true, call: getEnv },
  get_random: { params: ['start', 'end'], portable: true, call: getRandom },
  throw: { params: ['message'], portable: true, call: throwError },
}
