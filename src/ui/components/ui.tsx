/** The small component set every page is built from: links, buttons, badges, cards, notices. */
import type { ButtonHTMLAttributes, ComponentChildren } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { onLinkClick } from '../lib/router.ts'
import { ApiError } from '../data/client.ts'

export function Link(props: {
  href: string
  children: ComponentChildren
  class?: string
  title?: string
  'aria-label'?: string
  'aria-current'?: 'page' | undefined
  'data-testid'?: string
}) {
  const { href, children, ...rest } = props
  return (
    <a href={href} onClick={(ev) => onLinkClick(ev, href)} {...rest}>
      {children}
    </a>
  )
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`badge status-${status}`} data-status={status}>
      {status}
    </span>
  )
}

type ButtonProps = ButtonHTMLAttributes & {
  variant?: 'primary' | 'danger' | 'plain'
}

export function Button({ variant = 'plain', class: cls, type, ...rest }: ButtonProps) {
  const extra = typeof cls === 'string' ? cls : ''
  return <button type={type ?? 'button'} class={`btn btn-${variant} ${extra}`} {...rest} />
}

export function Card(props: {
  title?: ComponentChildren
  actions?: ComponentChildren
  children: ComponentChildren
  class?: string
  labelledBy?: string
}) {
  const id = props.labelledBy
  return (
    <section class={`card ${props.class ?? ''}`} aria-labelledby={id}>
      {props.title !== undefined && (
        <header class="card-head">
          <h2 id={id}>{props.title}</h2>
          {props.actions && <div class="card-actions">{props.actions}</div>}
        </header>
      )}
      {props.children}
    </section>
  )
}

export function PageHeader(props: { title: ComponentChildren; children?: ComponentChildren }) {
  return (
    <div class="page-head">
      <h1>{props.title}</h1>
      {props.children && <div class="page-actions">{props.children}</div>}
    </div>
  )
}

export function ErrorNotice({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null
  const text =
    error instanceof ApiError || error instanceof Error
      ? error.message
      : typeof error === 'string'
        ? error
        : 'something went wrong'
  return (
    <p class="notice notice-error" role="alert">
      {text}
    </p>
  )
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  )
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="muted empty">{children}</p>
}

/** The current time, refreshed every `ms`, for "3 min ago" labels and running durations. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms)
    return () => clearInterval(t)
  }, [ms])
  return now
}

export interface Loaded<T> {
  readonly data: T | undefined
  readonly error: unknown
  /** Loads again (coalesced: one load in flight, at most one more queued). */
  readonly reload: () => void
  readonly setData: (update: (v: T | undefined) => T | undefined) => void
}

/**
 * Runs an async load when `deps` change, and again whenever `watch` calls its trigger (an SSE
 * event, a stream reconnect). Loads never overlap: triggers during a load queue one more.
 */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: ReadonlyArray<unknown>,
  watch?: (trigger: () => void) => () => void,
): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<unknown>(null)
  const loadRef = useRef(load)
  loadRef.current = load
  const trigger = useRef<() => void>(() => undefined)
  useEffect(() => {
    let disposed = false
    let running = false
    let dirty = false
    setData(undefined)
    setError(null)
    const run = async () => {
      if (running) {
        dirty = true
        return
      }
      running = true
      do {
        dirty = false
        try {
          const v = await loadRef.current()
          if (!disposed) {
            setData(() => v)
            setError(null)
          }
        } catch (e) {
          if (!disposed) setError(e)
        }
      } while (dirty && !disposed)
      running = false
    }
    const fire = () => void run()
    trigger.current = fire
    fire()
    const stop = watch?.(fire)
    return () => {
      disposed = true
      stop?.()
    }
  }, deps)
  return { data, error, reload: () => trigger.current(), setData }
}
