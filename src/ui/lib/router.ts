/** A small history router: the server answers index.html for every app path (web-ui.ts). */
import { useEffect, useState } from 'preact/hooks'
import { createStore } from './store.ts'

export interface Location {
  readonly path: string
  readonly query: URLSearchParams
}

function read(): Location {
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) }
}

export const currentLocation = createStore<Location>(read())

window.addEventListener('popstate', () => currentLocation.set(read()))

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, '', to)
  else history.pushState(null, '', to)
  currentLocation.set(read())
  if (!opts.replace) window.scrollTo(0, 0)
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(currentLocation.get())
  useEffect(() => currentLocation.subscribe(setLoc), [])
  return loc
}

/** Matches `/jobs/:id` style patterns; returns decoded params or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean)
  const s = path.split('/').filter(Boolean)
  if (p.length !== s.length) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < p.length; i++) {
    const part = p[i]!
    const seg = s[i]!
    if (part.startsWith(':')) params[part.slice(1)] = decodeURIComponent(seg)
    else if (part !== seg) return null
  }
  return params
}

/** A plain-click on an in-app link navigates without a reload. */
export function onLinkClick(ev: MouseEvent, href: string): void {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey) return
  ev.preventDefault()
  navigate(href)
}
