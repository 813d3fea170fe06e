/**
 * Serves the built web UI (src/ui, built by Vite into dist/ui) at `/`: hashed files under
 * `/assets/` are cached for a year, index.html is revalidated on every load, and any other GET
 * that accepts HTML gets index.html so the app's own routes work on reload (SPA fallback). The
 * API's paths (/api, /worker, /hooks, /healthz, /readyz, /metrics) are never touched: an unknown
 * one keeps its JSON 404. Mounted in the readiness gate too, so the page loads (and says
 * "starting") before the database is open.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { extname, join, resolve, sep } from 'node:path'
import type { Context, Middleware, Next } from 'koa'

const RESERVED = /^\/(api|worker|hooks|healthz|readyz|metrics)(\/|$)/i

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
}

/** The page may load only its own files and talk only to its own origin. */
const CSP = [
  "default-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

const IMMUTABLE = 'public, max-age=31536000, immutable'

/** Whether a path belongs to the API (or another non-UI route), judged after decoding. */
export function isReservedPath(path: string): boolean {
  let p = path
  try {
    p = decodeURIComponent(path)
  } catch {
    // A malformed escape: judge the raw text.
  }
  return RESERVED.test(p.replace(/\/{2,}/g, '/'))
}

function notFound(ctx: Context, message: string): void {
  ctx.status = 404
  ctx.body = { error: message, code: 'not_found' }
}

/** The file a URL path names inside `root`, or null when it would leave it. */
function fileIn(root: string, urlPath: string): string | null {
  let decoded: string
  try {
    decoded = decodeURIComponent(urlPath)
  } catch {
    return null
  }
  if (decoded.includes('\0')) return null
  const file = resolve(root, `.${decoded}`)
  return file.startsWith(root + sep) ? file : null
}

async function isFile(file: string): Promise<number | null> {
  try {
    const s = await stat(file)
    return s.isFile() ? s.size : null
  } catch {
    return null
  }
}

function send(ctx: Context, file: string, size: number, cache: string): void {
  // A HEAD answer carries the headers only: no file is opened for it.
  ctx.body = ctx.method === 'HEAD' ? null : createReadStream(file)
  ctx.status = 200
  ctx.type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream'
  ctx.length = size
  ctx.set('Cache-Control', cache)
  ctx.set('X-Content-Type-Options', 'nosniff')
}

export function webUi(dir: string): Middleware {
  const root = resolve(dir)
  const index = join(root, 'index.html')
  return async function serveWebUi(ctx: Context, next: Next): Promise<void> {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || isReservedPath(ctx.path)) {
      await next()
      return
    }
    const file = ctx.path === '/' ? null : fileIn(root, ctx.path)
    const size = file === null ? null : await isFile(file)
    if (file !== null && size !== null && file !== index) {
      const hashed = file.startsWith(join(root, 'assets') + sep)
      send(ctx, file, size, hashed ? IMMUTABLE : 'no-cache')
      return
    }
    if (ctx.path.startsWith('/assets/')) {
      notFound(ctx, `no such UI asset: ${ctx.path}`)
      return
    }
    if (!ctx.accepts('html')) {
      await next()
      return
    }
    const indexSize = await isFile(index)
    if (indexSize === null) {
      notFound(ctx, `the web UI is not built (no ${index}): run npm run build`)
      return
    }
    send(ctx, index, indexSize, 'no-cache')
    ctx.set('Content-Security-Policy', CSP)
  }
}
