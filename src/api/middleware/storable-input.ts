/**
 * Mounted after the body parser, before any route: a request whose path parameters, query,
 * headers or JSON body hold text PostgreSQL cannot store (storable-text.ts) gets one 400 naming
 * every such field, so no route can hand such text to a statement and answer 500.
 *
 * A remote worker's log lines are the one exception: they go to the JSONL log files, never to the
 * database, and the log store makes them well-formed (a process may well print a NUL).
 */
import type Router from '@koa/router'
import type { Context, Next } from 'koa'
import { BadRequestError } from '../../shared/errors.ts'
import { bodyOf } from './json-body.ts'
import {
  escapeUnstorable,
  unstorableJson,
  unstorableReason,
  type TextIssue,
} from '../storable-text.ts'

/** Body fields of a route (by its path pattern) that never reach the database. */
const NOT_STORED: Readonly<Record<string, RegExp>> = {
  '/worker/jobs/:jobId/steps/:step/logs': /^lines\[\d+\]\.line$/,
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

function textIssue(where: string, name: string, text: string): TextIssue | null {
  const why = unstorableReason(text)
  return why === null ? null : { path: escapeUnstorable(name), message: `${where} ${why}` }
}

/** The matched route's pattern and parameters (decoded, as the router hands them to routes). */
function matchedRoute(router: Router, ctx: Context) {
  const layer = router.match(ctx.path, ctx.method).pathAndMethod.find((l) => l.methods.length > 0)
  if (!layer) return null
  return { pattern: String(layer.path), params: layer.params(ctx.path, layer.captures(ctx.path)) }
}

function requestIssues(router: Router, ctx: Context): TextIssue[] {
  const issues: Array<TextIssue | null> = []
  const route = matchedRoute(router, ctx)
  if (route) {
    for (const [name, value] of Object.entries(route.params))
      issues.push(textIssue(`path parameter ${escapeUnstorable(name)}`, name, value))
  } else {
    issues.push(textIssue('the path', 'path', decoded(ctx.path)))
  }
  for (const [name, value] of Object.entries(ctx.query)) {
    issues.push(textIssue('query parameter name', name, name))
    for (const v of [value ?? []].flat())
      issues.push(textIssue(`query parameter ${escapeUnstorable(name)}`, name, v))
  }
  for (const [name, value] of Object.entries(ctx.req.headers))
    for (const v of [value ?? []].flat()) issues.push(textIssue(`header ${name}`, name, v))
  const notStored = route ? NOT_STORED[route.pattern] : undefined
  const body = unstorableJson(bodyOf(ctx), '', (p) => notStored?.test(p) ?? false)
  for (const i of body) issues.push({ path: i.path, message: `body field ${i.path} ${i.message}` })
  return issues.filter((i): i is TextIssue => i !== null)
}

export function storableInput(router: Router) {
  return async function refuseUnstorableText(ctx: Context, next: Next): Promise<void> {
    const issues = requestIssues(router, ctx)
    if (issues.length > 0)
      throw new BadRequestError(issues.map((i) => i.message).join('; '), issues[0]!.path)
    await next()
  }
}
