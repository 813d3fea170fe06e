import type { TestSpec } from './registry.ts'
import { TemplateError } from './template-error.ts'
import { isMap, isTruthy, member, teraEquals, typeName } from './values.ts'

/** Tera's tests (`x is odd`), plus a few Nunjucks-only ones reported as non-portable. */

type Check = (value: unknown, args: ReadonlyArray<unknown>, owner: string) => boolean

/** Every test except defined/undefined fails on a missing variable, as in Tera. */
function onValue(arity: number, check: Check, portable = true): TestSpec {
  return {
    arity,
    portable,
    check: (value, args, owner) => {
      if (value === undefined)
        throw new TemplateError(`${owner} was applied to an undefined variable`)
      return check(value, args, owner)
    },
  }
}

function integer(value: unknown, owner: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TemplateError(`${owner} expects an integer, got ${typeName(value)}`)
  }
  return value
}

function text(value: unknown, owner: string, what = 'a string'): string {
  if (typeof value !== 'string')
    throw new TemplateError(`${owner} expects ${what}, got ${typeName(value)}`)
  return value
}

function containing(value: unknown, args: ReadonlyArray<unknown>, owner: string): boolean {
  const needle = args[0]
  if (typeof value === 'string') return value.includes(text(needle, owner, 'a string argument'))
  if (Array.isArray(value)) return value.some((item) => teraEquals(item, needle))
  if (isMap(value)) return member(value, text(needle, owner, 'a key')) !== undefined
  throw new TemplateError(`${owner} expects a string, list or map, got ${typeName(value)}`)
}

function matching(value: unknown, args: ReadonlyArray<unknown>, owner: string): boolean {
  const pattern = text(args[0], owner, 'a regular expression')
  let re: RegExp
  try {
    re = new RegExp(pattern, 'u')
  } catch {
    throw new TemplateError(`${owner}: invalid regular expression '${pattern}'`)
  }
  return re.test(text(value, owner))
}

export const TESTS: Readonly<Record<string, TestSpec>> = {
  defined: { arity: 0, portable: true, check: (v) => v !== undefined },
  undefined: { arity: 0, portable: true, check: (v) => v === undefined },
  odd: onValue(0, (v, _a, o) => Math.abs(integer(v, o) % 2) === 1),
  even: onValue(0, (v, _a, o) => integer(v, o) % 2 === 0),
  string: onValue(0, (v) => typeof v === 'string'),
  number: onValue(0, (v) => typeof v === 'number'),
  divisibleby: onValue(1, (v, a, o) => {
    const by = integer(a[0], o)
    return by !== 0 && integer(v, o) % by === 0
  }),
  iterable: onValue(0, (v) => Array.isArray(v) || isMap(v)),
  object: onValue(0, isMap),
  starting_with: onValue(1, (v, a, o) => text(v, o).startsWith(text(a[0], o, 'a string argument'))),
  ending_with: onValue(1, (v, a, o) => text(v, o).endsWith(text(a[0], o, 'a string argument'))),
  containing: onValue(1, containing),
  matching: onValue(1, matching),
  none: onValue(0, (v) => v === null, false),
  null: onValue(0, (v) => v === null, false),
  truthy: onValue(0, isTruthy, false),
  falsy: onValue(0, (v) => !isTruthy(v), false),
  mapping: onValue(0, isMap, false),
  equalto: onValue(1, (v, a) => teraEquals(v, a[0]), false),
  sameas: onValue(1, (v, a) => teraEquals(v, a[0]), false),
}
