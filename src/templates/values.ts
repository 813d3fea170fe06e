/**
 * Tera value semantics over plain JSON-like data: truthiness, equality, printing and member
 * access. Member access only reads own properties of plain maps and in-range array indices, so
 * templates can never reach prototypes (`constructor`, `__proto__`) or JS string/array methods.
 */

export type TemplateMap = Readonly<Record<string, unknown>>

/** Plain objects only: class instances (macros, Dates) are never read as maps. */
export function isMap(v: unknown): v is TemplateMap {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto: unknown = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/** Tera truthiness: false, 0, NaN, "", [], {}, null and undefined are false. */
export function isTruthy(v: unknown): boolean {
  if (v === undefined || v === null) return false
  if (typeof v === 'boolean') return v
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v)
  if (typeof v === 'string') return v.length > 0
  if (Array.isArray(v)) return v.length > 0
  if (isMap(v)) return Object.keys(v).length > 0
  return true
}

/** Tera equality: type-strict (a number never equals a string), structural for lists and maps. */
export function teraEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a === 'number' && typeof b === 'number') return a === b
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => teraEquals(x, b[i]))
  }
  if (isMap(a) && isMap(b)) {
    const keys = Object.keys(a)
    if (keys.length !== Object.keys(b).length) return false
    return keys.every((k) => Object.hasOwn(b, k) && teraEquals(a[k], b[k]))
  }
  return false
}

/** How Tera prints a value: null as "", lists as `[a, b]`, maps as `[object]`. */
export function display(v: unknown): string {
  if (v === null || v === undefined) return ''
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v)
  if (Array.isArray(v)) return `[${v.map(display).join(', ')}]`
  return '[object]'
}

/** A short type name for error messages. */
export function typeName(v: unknown): string {
  if (v === null) return 'null'
  if (v === undefined) return 'undefined'
  if (Array.isArray(v)) return 'list'
  if (isMap(v)) return 'map'
  return typeof v
}

/** Reads `key` of a list or map; undefined when absent (never a prototype property). */
export function member(container: unknown, key: unknown): unknown {
  if (Array.isArray(container)) {
    const idx = typeof key === 'string' && /^\d+$/.test(key) ? Number(key) : key
    if (typeof idx !== 'number' || !Number.isInteger(idx) || idx < 0) return undefined
    const items: ReadonlyArray<unknown> = container
    return idx < items.length ? items[idx] : undefined
  }
  if (isMap(container) && (typeof key === 'string' || typeof key === 'number')) {
    const k = String(key)
    return Object.hasOwn(container, k) ? container[k] : undefined
  }
  return undefined
}

/** Reads a dotted attribute path (`a.b.0`) as Tera's list filters take it. */
export function attributePath(v: unknown, path: string): unknown {
  let cur = v
  for (const seg of path.split('.')) {
    cur = member(cur, seg)
    if (cur === undefined) return undefined
  }
  return cur
}
