/** Server-sent event frames (API.md §8) and the filter SSE clients choose (pure). */
import type { EventFilter, StoredEvent } from '../db/repositories/event.repository.ts'

/** What a client receives first: the reconnect delay, then a ping. */
export const SSE_PREAMBLE = 'retry: 3000\n\nevent: ping\ndata: {}\n\n'

export const PING_FRAME = 'event: ping\ndata: {}\n\n'

/** One event: `id:` (omitted for pings and resync), `event:` and one line of JSON `data:`. */
export function sseFrame(event: string, data: unknown, id?: number): string {
  const idLine = id === undefined ? '' : `id: ${id}\n`
  return `${idLine}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}

/** A stored event as its frame: the payload plus `ts`, the time it was recorded. */
export function eventFrame(e: StoredEvent): string {
  return sseFrame(e.type, { ...e.data, ts: e.at.toISOString() }, e.id)
}

/** The fields a filter looks at. */
export interface FilterableEvent {
  readonly type: string
  readonly jobId: string | null
  readonly workspace: string | null
}

/** True when the event passes every filter the client set. */
export function matchesFilter(e: FilterableEvent, f: EventFilter): boolean {
  if (f.workspace !== undefined && e.workspace !== f.workspace) return false
  if (f.jobId !== undefined && e.jobId !== f.jobId) return false
  if (f.types !== undefined && !f.types.includes(e.type)) return false
  return true
}
