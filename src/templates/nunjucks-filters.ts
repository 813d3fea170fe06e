import { expectList, expectNumber, expectString, type Args, type FilterSpec } from './registry.ts'
import { escapeHtml } from './tera-string-filters.ts'
import { TemplateError } from './template-error.ts'
import { attributePath, display, isMap, isTruthy } from './values.ts'

/**
 * Nunjucks built-ins that Tera lacks. They work in Weir, but checkTemplate reports them as
 * non-portable (WORKSPACE-FORMAT.md §8.6 #11) because Strøm would reject the template.
 */

function dump(v: unknown, args: Args): string {
  const spaces = args.get('spaces')
  const indent = typeof spaces === 'number' || typeof spaces === 'string' ? spaces : undefined
  return JSON.stringify(v, null, indent) ?? 'null'
}

function batch(v: unknown, args: Args): unknown[][] {
  const list = expectList(v, args.owner)
  const size = args.integer('size')
  if (size <= 0) throw new TemplateError(`${args.owner}: size must be positive`)
  const out: unknown[][] = []
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size))
  const last = out[out.length - 1]
  if (args.has('fill_with') && last !== undefined) {
    while (last.length < size) last.push(args.get('fill_with'))
  }
  return out
}

function center(v: unknown, args: Args): string {
  const s = expectString(v, args.owner)
  const width = args.integer('width', 80)
  if (s.length >= width) return s
  const left = Math.floor((width - s.length) / 2)
  return ' '.repeat(left) + s + ' '.repeat(width - s.length - left)
}

function list(v: unknown, args: Args): unknown[] {
  if (typeof v === 'string') return Array.from(v)
  if (Array.isArray(v)) return Array.from<unknown>(v)
  if (isMap(v)) return Object.entries(v).map(([key, value]) => ({ key, value }))
  throw new TemplateError(`${args.owner} expects a string, list or map`)
}

function sum(v: unknown, args: Args): number {
  const items = expectList(v, args.owner)
  const attribute = args.has('attribute') ? args.string('attribute') : null
  let total = args.number('start', 0)
  for (const item of items) {
    total += expectNumber(attribute === null ? item : attributePath(item, attribute), args.owner)
  }
  return total
}

function byAttribute(keep: boolean): FilterSpec['apply'] {
  return (v, args) => {
    const attribute = args.string('attribute')
    return expectList(v, args.owner).filter(
      (item) => isTruthy(attributePath(item, attribute)) === keep,
    )
  }
}

export const NUNJUCKS_FILTERS: Readonly<Record<string, FilterSpec>> = {
  dump: { params: ['spaces'], portable: false, apply: dump },
  batch: { params: ['size', 'fill_with'], portable: false, apply: batch },
  center: { params: ['width'], portable: false, apply: center },
  list: { params: [], portable: false, apply: list },
  string: { params: [], portable: false, apply: (v) => display(v) },
  sum: { params: ['attribute', 'start'], portable: false, apply: sum },
  nl2br: {
    params: [],
    portable: false,
    apply: (v, a) => expectString(v, a.owner).replace(/\r?\n/g, '<br />\n'),
  },
  selectattr: { params: ['attribute'], portable: false, apply: byAttribute(true) },
  rejectattr: { params: ['attribute'], portable: false, apply: byAttribute(false) },
  d: { params: ['value'], portable: false, apply: (v) => v },
  e: { params: [], portable: false, apply: (v, a) => escapeHtml(expectString(v, a.owner)) },
}
