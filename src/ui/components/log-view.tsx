/**
 * A job log as a virtualised list: only the rows in view (plus a margin) are in the DOM, so a
 * 100,000-line log scrolls like a short one. It follows new lines while the reader is at the
 * bottom, stops when they scroll up, and follows again once they are back at the bottom.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { parseAnsi, type AnsiStyle } from '../lib/ansi.ts'
import type { LogLine } from '../data/types.ts'

export const ROW_HEIGHT = 20
const OVERSCAN = 30
/** A short log takes the room it needs; a long one scrolls inside this height. */
const MAX_HEIGHT = 460
const MIN_HEIGHT = 120

function styleOf(s: AnsiStyle): { class: string; style?: Record<string, string> } {
  const classes: string[] = []
  const style: Record<string, string> = {}
  if (typeof s.fg === 'number') classes.push(`ansi-fg-${s.fg}`)
  else if (s.fg) style.color = s.fg
  if (typeof s.bg === 'number') classes.push(`ansi-bg-${s.bg}`)
  else if (s.bg) style.backgroundColor = s.bg
  if (s.bold) classes.push('ansi-bold')
  if (s.dim) classes.push('ansi-dim')
  if (s.italic) classes.push('ansi-italic')
  if (s.underline) classes.push('ansi-underline')
  return Object.keys(style).length > 0
    ? { class: classes.join(' '), style }
    : { class: classes.join(' ') }
}

function Row({ line, top, showStep }: { line: LogLine; top: number; showStep: boolean }) {
  const segments = parseAnsi(line.line)
  return (
    <div
      class={`log-row ${line.stream === 'stderr' ? 'log-stderr' : ''}`}
      style={{ top: `${top}px` }}
      data-seq={line.seq}
      data-step={line.step}
      data-stream={line.stream}
    >
      <span class="log-seq" aria-hidden="true">
        {line.seq}
      </span>
      {showStep && <span class="log-step">{line.step}</span>}
      {line.stream === 'stderr' && (
        <span class="log-stream-tag" title="stderr">
          stderr
        </span>
      )}
      <span class="log-text">
        {segments.map((seg, i) => {
          const s = styleOf(seg.style)
          return s.class === '' && !s.style ? (
            seg.text
          ) : (
            <span key={i} class={s.class} style={s.style}>
              {seg.text}
            </span>
          )
        })}
      </span>
    </div>
  )
}

export function LogView(props: {
  lines: ReadonlyArray<LogLine>
  /** Changes whenever lines were appended (the array may be appended to in place). */
  version: number
  label: string
  showStep: boolean
  empty?: string
}) {
  const { lines } = props
  const ref = useRef<HTMLDivElement>(null)
  const [scrollTop, setScrollTop] = useState(0)
  const [viewHeight, setViewHeight] = useState(480)
  const [follow, setFollow] = useState(true)
  const followRef = useRef(true)

  useEffect(() => {
    const el = ref.current
    if (!el) return
    const ro = new ResizeObserver(() => setViewHeight(el.clientHeight))
    ro.observe(el)
    return () => ro.disconnect()
  }, [])

  useLayoutEffect(() => {
    const el = ref.current
    if (el && followRef.current) {
      el.scrollTop = el.scrollHeight
      setScrollTop(el.scrollTop)
    }
  }, [props.version, lines.length])

  const onScroll = () => {
    const el = ref.current
    if (!el) return
    setScrollTop(el.scrollTop)
    const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_HEIGHT
    if (atBottom !== followRef.current) {
      followRef.current = atBottom
      setFollow(atBottom)
    }
  }

  const jumpToEnd = () => {
    const el = ref.current
    if (!el) return
    followRef.current = true
    setFollow(true)
    el.scrollTop = el.scrollHeight
  }

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN)
  const last = Math.min(lines.length, Math.ceil((scrollTop + viewHeight) / ROW_HEIGHT) + OVERSCAN)
  const rows = []
  for (let i = first; i < last; i++) {
    const line = lines[i]!
    rows.push(<Row key={line.seq} line={line} top={i * ROW_HEIGHT} showStep={props.showStep} />)
  }
  return (
    <div class="log-wrap">
      <div
        ref={ref}
        class="log-view"
        style={{
          height: `${Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, lines.length * ROW_HEIGHT + 24))}px`,
        }}
        tabIndex={0}
        role="log"
        aria-live="off"
        aria-label={props.label}
        data-lines={lines.length}
        data-following={follow ? 'true' : 'false'}
        onScroll={onScroll}
      >
        <div class="log-canvas" style={{ height: `${lines.length * ROW_HEIGHT}px` }}>
          {rows}
        </div>
        {lines.length === 0 && <p class="muted log-empty">{props.empty ?? 'No lines yet.'}</p>}
      </div>
      {!follow && (
        <button type="button" class="btn btn-primary log-jump" onClick={jumpToEnd}>
          Jump to latest
        </button>
      )}
    </div>
  )
}
