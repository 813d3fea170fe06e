import { expectList, type Args, type FilterSpec } from './registry.ts'
import { TemplateError } from './template-error.ts'
import { attributePath, display, isMap, teraEquals, typeName } from './values.ts'

/** Tera's list filters (WORKSPACE-FORMAT.md §8.5); attributes are dotted paths into each item. */

function onList(
  fn: (list: ReadonlyArray<unknown>, args: Args) => unknown,
  params: string[] = [],
): FilterSpec {
  return { params, portable: true, apply: (v, args) => fn(expectList(v, args.owner), args) }
}

function keyOf(item: unknown, args: Args): unknown {
  return args.has('attribute') ? attributePath(item, args.string('attribute')) : item
}

function length(v: unknown, args: Args): number {
  if (typeof v === 'string') return Array.from(v).length
  if (Array.isArray(v)) return v.length
  if (isMap(v)) return Object.keys(v).length
  throw new TemplateError(`${args.owner} expects a string, list or map, got ${typeName(v)}`)
}

function reverse(v: unknown, args: Args): unknown {
  if (typeof v === 'string') return Array.from(v).reverse().join('')
  return [...expectList(v, args.owner)].reverse()
}

function sortKind(key: unknown): string {
  if (Array.isArray(key)) return 'list'
  return typeof key === 'number' || typeof key === 'string' || typeof key === 'boolean'
    ? typeof key
    : 'unsortable'
}

function compareKeys(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) return a.length - b.length
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0
  return Number(a) - Number(b)
}

function sort(list: ReadonlyArray<unknown>, args: Args): unknown[] {
  const keyed = list.map((item) => ({ item, key: keyOf(item, args) }))
  const first = keyed[0]?.key
  for (const { key } of keyed) {
    if (sortKind(key) === 'unsortable') {
      throw new TemplateError(`${args.owner} cannot sort ${typeName(key)} values`)
    }
    if (sortKind(key) !== sortKind(first)) {
      const types = `${typeName(first)} and ${typeName(key)}`
      throw new TemplateError(`${args.owner} cannot sort ${types} values together`)
    }
  }
  return keyed.sort((x, y) => compareKeys(x.key, y.key)).map(({ item }) => item)
}

function uniqueKey(key: unknown, caseSensitive: boolean, args: Args): string {
  if (typeof key === 'string') return `s:${caseSensitive ? key : key.toLowerCase()}`
  if (typeof key === 'number' || typeof key === 'boolean') return `${typeof key}:${String(key)}`
  throw new TemplateError(`${args.owner} cannot compare ${typeName(key)} values`)
}

function unique(list: ReadonlyArray<unknown>, args: Args): unknown[] {
  const caseSensitive = args.boolean('case_sensitive', false)
  const seen = new Set<string>()
  return list.filter((item) => {
    const k = uniqueKey(keyOf(item, args), caseSensitive, args)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

function groupBy(list: ReadonlyArray<unknown>, args: Args): Record<string, unknown[]> {
  const attribute = args.string('attribute')
  const groups = new Map<string, unknown[]>()
  for (const item of list) {
    const key = attributePath(item, attribute)
    if (key === undefined || key === null) continue
    const name = display(key)
    groups.set(name, [...(groups.get(name) ?? []), item])
  }
  return Object.fromEntries(groups)
}

function filterItems(list: ReadonlyArray<unknown>, args: Args): unknown[] {
  const attribute = args.string('attribute')
  const hasValue = args.has('value')
  const wanted = args.get('value')
  return list.filter((item) => {
    const v = attributePath(item, attribute)
    return hasValue ? teraEquals(v, wanted) : v !== undefined && v !== null
  })
}

function mapItems(list: ReadonlyArray<unknown>, args: Args): unknown[] {
  const attribute = args.string('attribute')
  return list
    .map((item) => attributePath(item, attribute))
    .filter((v) => v !== undefined && v !== null)
}

function nth(list: ReadonlyArray<unknown>, args: Args): unknown {
  const n = args.integer('n')
  return n >= 0 && n < list.length ? list[n] : null
}

function slice(list: ReadonlyArray<unknown>, args: Args): unknown[] {
  const start = args.integer('start', 0)
  return args.has('end') ? list.slice(start, args.integer('end')) : list.slice(start)
}

function concat(list: ReadonlyArray<unknown>, args: Args): unknown[] {
  const extra = args.required('with')
  // concat flattens one level: a list argument appends its items, anything else is appended.
  return list.concat(extra)
}

export const LIST_FILTERS: Readonly<Record<string, FilterSpec>> = {
  first: onList((l) => (l.length > 0 ? l[0] : null)),
  last: onList((l) => (l.length > 0 ? l[l.length - 1] : null)),
  nth: onList(nth, ['n']),
  join: onList((l, a) => l.map(display).join(a.string('sep', '')), ['sep']),
  length: { params: [], portable: true, apply: length },
  reverse: { params: [], portable: true, apply: reverse },
  sort: onList(sort, ['attribute']),
  unique: onList(unique, ['attribute', 'case_sensitive']),
  slice: onList(slice, ['start', 'end']),
  group_by: onList(groupBy, ['attribute']),
  filter: onList(filterItems, ['attribute', 'value']),
  map: onList(mapItems, ['attribute']),
  concat: onList(concat, ['with']),
}
