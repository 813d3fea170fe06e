import { expectString, type Args, type FilterSpec } from './registry.ts'

/** Tera's string filters (WORKSPACE-FORMAT.md §8.5). Each rejects non-string input, as Tera does. */

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

function onString(fn: (s: string, args: Args) => unknown, params: string[] = []): FilterSpec {
  return { params, portable: true, apply: (v, args) => fn(expectString(v, args.owner), args) }
}

function capitalize(s: string): string {
  const [first = '', ...rest] = Array.from(s)
  return first.toUpperCase() + rest.join('').toLowerCase()
}

function trimStartMatches(s: string, pat: string): string {
  if (pat === '') return s
  let out = s
  while (out.startsWith(pat)) out = out.slice(pat.length)
  return out
}

function trimEndMatches(s: string, pat: string): string {
  if (pat === '') return s
  let out = s
  while (out.endsWith(pat)) out = out.slice(0, out.length - pat.length)
  return out
}

function truncate(s: string, args: Args): string {
  const length = args.integer('length', 255)
  const end = args.string('end', '…')
  const parts = Array.from(graphemes.segment(s), (g) => g.segment)
  return parts.length <= length ? s : parts.slice(0, Math.max(0, length)).join('') + end
}

function slugify(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
}

/** Tera's `indent`: prefix every line but the first (unless `first`) and blank ones (unless `blank`). */
function indent(s: string, args: Args): string {
  const rawPrefix = args.get('prefix')
  const prefix =
    typeof rawPrefix === 'number' ? ' '.repeat(rawPrefix) : args.string('prefix', '    ')
  const first = args.boolean('first', false)
  const blank = args.boolean('blank', false)
  const lines = s.split(/\r?\n/)
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop()
  return lines
    .map((line, i) => {
      const wanted = i === 0 ? first : blank || line.trim() !== ''
      return wanted ? prefix + line : line
    })
    .join('\n')
}

function percentEncode(s: string, keepSlash: boolean): string {
  const encoded = encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
  return keepSlash ? encoded.replace(/%2F/g, '/') : encoded
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#x27;',
  '/': '&#x2F;',
}
const XML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
}

/** Tera's HTML escaping (`escape`). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'/]/g, (c) => HTML_ESCAPES[c] ?? c)
}

export const STRING_FILTERS: Readonly<Record<string, FilterSpec>> = {
  lower: onString((s) => s.toLowerCase()),
  upper: onString((s) => s.toUpperCase()),
  capitalize: onString(capitalize),
  title: onString((s) => s.replace(/[\p{L}\p{N}_']+/gu, capitalize)),
  trim: onString((s) => s.trim()),
  trim_start: onString((s) => s.trimStart()),
  trim_end: onString((s) => s.trimEnd()),
  trim_start_matches: onString((s, a) => trimStartMatches(s, a.string('pat')), ['pat']),
  trim_end_matches: onString((s, a) => trimEndMatches(s, a.string('pat')), ['pat']),
  truncate: onString(truncate, ['length', 'end']),
  wordcount: onString((s) => s.split(/\s+/).filter((w) => w !== '').length),
  replace: onString((s, a) => s.split(a.string('from')).join(a.string('to')), ['from', 'to']),
  addslashes: onString((s) => s.replace(/[\\"']/g, (c) => `\\${c}`)),
  slugify: onString(slugify),
  striptags: onString((s) => s.replace(/<!--[\s\S]*?-->|<[^>]*>/g, '')),
  spaceless: onString((s) => s.replace(/>\s+</g, '><')),
  linebreaksbr: onString((s) => s.replace(/\r?\n/g, '<br>')),
  indent: onString(indent, ['prefix', 'first', 'blank']),
  split: onString((s, a) => s.split(a.string('pat')), ['pat']),
  urlencode: onString((s) => percentEncode(s, true)),
  urlencode_strict: onString((s) => percentEncode(s, false)),
  escape: onString(escapeHtml),
  escape_xml: onString((s) => s.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c)),
}
