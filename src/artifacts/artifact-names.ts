/**
 * What an artifact may be called and what type it is stored as (pure). Names are relative paths
 * with `/` (a step's files under $ARTIFACTS_DIR, recursively). The content type comes from the
 * name alone, never from the worker or the bytes.
 */

/** Most UTF-8 bytes in an artifact name. */
export const MAX_ARTIFACT_NAME_BYTES = 255

export type NameCheck = { readonly ok: true } | { readonly ok: false; readonly why: string }

/** Whether `name` is a valid artifact name, and why not. */
export function checkArtifactName(name: string): NameCheck {
  if (name === '') return { ok: false, why: 'the name is empty' }
  if (Buffer.byteLength(name) > MAX_ARTIFACT_NAME_BYTES) {
    return { ok: false, why: `the name is longer than ${MAX_ARTIFACT_NAME_BYTES} bytes` }
  }
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c < 0x20 || c === 0x7f) return { ok: false, why: 'the name holds control characters' }
  }
  if (name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name)) {
    return { ok: false, why: 'the name is an absolute path' }
  }
  if (name.includes('\\')) return { ok: false, why: "the name holds '\\' (use '/')" }
  const parts = name.split('/')
  if (parts.includes('..')) return { ok: false, why: "the name holds a '..' segment" }
  if (parts.some((p) => p === '' || p === '.')) {
    return { ok: false, why: "the name holds an empty or '.' segment" }
  }
  return { ok: true }
}

const TYPES: Readonly<Record<string, string>> = {
  txt: 'text/plain',
  log: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  html: 'text/html',
  htm: 'text/html',
  css: 'text/css',
  js: 'text/javascript',
  json: 'application/json',
  jsonl: 'application/jsonl',
  ndjson: 'application/jsonl',
  xml: 'application/xml',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tgz: 'application/gzip',
  tar: 'application/x-tar',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  ico: 'image/x-icon',
  wasm: 'application/wasm',
}

/** The type an artifact is served with, from its extension (default application/octet-stream). */
export function contentTypeOf(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1)
  const dot = base.lastIndexOf('.')
  if (dot <= 0) return 'application/octet-stream'
  return TYPES[base.slice(dot + 1).toLowerCase()] ?? 'application/octet-stream'
}
