/**
 * One EventSource for the whole app (GET /api/events, API.md §8). Pages subscribe to the events
 * they care about; after a drop the stream reconnects with `last_event_id`, so the server replays
 * what was missed, once. Pages also hear each (re)connect, and reload what they show then, which
 * covers events older than the stream itself (and a `resync`).
 */
import { withQuery } from './client.ts'
import { freshToken } from './session.ts'
import { createStore } from '../lib/store.ts'
import type { ServerEvent } from './types.ts'

const TYPES = [
  'job.created',
  'job.started',
  'job.cancel_requested',
  'job.finished',
  'step.started',
  'step.finished',
  'step.retrying',
  'step.suspended',
  'trigger.fired',
  'trigger.skipped',
  'worker.changed',
  'resync',
]

export type StreamState = 'connecting' | 'live' | 'reconnecting'
export const eventStreamState = createStore<StreamState>('connecting')

type Listener = (e: ServerEvent) => void
const listeners = new Set<Listener>()
const openListeners = new Set<() => void>()
let source: EventSource | null = null
let lastId: number | null = null
let retryMs = 500
let timer: ReturnType<typeof setTimeout> | null = null
let generation = 0

function dispatch(type: string, ev: MessageEvent<string>): void {
  if (ev.lastEventId !== '') lastId = Number(ev.lastEventId)
  let data: ServerEvent['data']
  try {
    data = JSON.parse(ev.data) as ServerEvent['data']
  } catch {
    return
  }
  const event: ServerEvent = { id: lastId ?? 0, type, data }
  for (const l of [...listeners]) l(event)
  if (type === 'resync') for (const l of [...openListeners]) l()
}

async function connect(): Promise<void> {
  const mine = ++generation
  const token = await freshToken()
  if (mine !== generation) return
  const url = withQuery('/api/events', { access_token: token, last_event_id: lastId })
  const es = new EventSource(url)
  source = es
  es.addEventListener('open', () => {
    retryMs = 500
    eventStreamState.set('live')
    for (const l of [...openListeners]) l()
  })
  for (const type of TYPES)
    es.addEventListener(type, (ev) => dispatch(type, ev as MessageEvent<string>))
  es.addEventListener('error', () => {
    // The browser would retry with the same URL (and a token that may have expired): take over.
    es.close()
    if (source !== es) return
    source = null
    eventStreamState.set('reconnecting')
    timer = setTimeout(() => void connect(), retryMs)
    retryMs = Math.min(retryMs * 2, 5000)
  })
}

/** Opens the stream now (the shell does, so its indicator is right on every page). */
export function openEventStream(): void {
  ensureOpen()
}

function ensureOpen(): void {
  if (source || timer) return
  void connect()
}

/** Calls `listener` for every event until the returned function is called. */
export function onServerEvent(listener: Listener): () => void {
  listeners.add(listener)
  ensureOpen()
  return () => listeners.delete(listener)
}

/** Calls `listener` each time the stream (re)connects: a page reloads its data then. */
export function onStreamOpen(listener: () => void): () => void {
  openListeners.add(listener)
  ensureOpen()
  return () => openListeners.delete(listener)
}

/** Closes the stream (sign-out); the next subscriber opens it again. */
export function closeEventStream(): void {
  generation++
  if (timer) clearTimeout(timer)
  timer = null
  source?.close()
  source = null
  lastId = null
  eventStreamState.set('connecting')
}
