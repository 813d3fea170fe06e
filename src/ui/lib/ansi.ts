/**
 * ANSI SGR colours in log lines, turned into styled segments. Only SGR (`ESC[...m`) is kept;
 * other escape sequences (cursor moves, clears) are dropped, since a log is not a terminal.
 */

export interface AnsiStyle {
  /** A palette index 0–15 (themed by CSS), or a CSS colour for 256-colour and true-colour codes. */
  readonly fg?: number | string
  readonly bg?: number | string
  readonly bold?: boolean
  readonly dim?: boolean
  readonly italic?: boolean
  readonly underline?: boolean
}

export interface AnsiSegment {
  readonly text: string
  readonly style: AnsiStyle
}

// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b\[([0-9;:]*)([A-Za-z])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g

const CUBE = [0, 95, 135, 175, 215, 255]

/** The CSS colour of 256-colour index n (16–255); 0–15 stay palette indexes. */
function color256(n: number): number | string {
  if (n < 16) return n
  if (n < 232) {
    const i = n - 16
    return `rgb(${CUBE[Math.floor(i / 36)]}, ${CUBE[Math.floor(i / 6) % 6]}, ${CUBE[i % 6]})`
  }
  const v = 8 + (n - 232) * 10
  return `rgb(${v}, ${v}, ${v})`
}

function applyCodes(style: AnsiStyle, params: string): AnsiStyle {
  const codes = params === '' ? [0] : params.split(/[;:]/).map((c) => (c === '' ? 0 : Number(c)))
  let s: { -readonly [K in keyof AnsiStyle]: AnsiStyle[K] } = { ...style }
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!
    if (c === 0) s = {}
    else if (c === 1) s.bold = true
    else if (c === 2) s.dim = true
    else if (c === 3) s.italic = true
    else if (c === 4) s.underline = true
    else if (c === 22) s.bold = s.dim = undefined
    else if (c === 23) s.italic = undefined
    else if (c === 24) s.underline = undefined
    else if (c >= 30 && c <= 37) s.fg = c - 30
    else if (c >= 90 && c <= 97) s.fg = c - 90 + 8
    else if (c === 39) s.fg = undefined
    else if (c >= 40 && c <= 47) s.bg = c - 40
    else if (c >= 100 && c <= 107) s.bg = c - 100 + 8
    else if (c === 49) s.bg = undefined
    else if (c === 38 || c === 48) {
      const key = c === 38 ? 'fg' : 'bg'
      if (codes[i + 1] === 5 && codes[i + 2] !== undefined) {
        s[key] = color256(codes[i + 2]!)
        i += 2
      } else if (codes[i + 1] === 2 && codes[i + 4] !== undefined) {
        s[key] = `rgb(${codes[i + 2]}, ${codes[i + 3]}, ${codes[i + 4]})`
        i += 4
      }
    }
  }
  // Keep the object small: undefined keys are removed so equal styles compare equal.
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined))
}

/** Splits a line into segments of equal style; a line without escapes is one plain segment. */
export function parseAnsi(line: string): AnsiSegment[] {
  if (!line.includes('\x1b')) return [{ text: line, style: {} }]
  const out: AnsiSegment[] = []
  let style: AnsiStyle = {}
  let last = 0
  for (const m of line.matchAll(ESCAPE)) {
    if (m.index > last) out.push({ text: line.slice(last, m.index), style })
    if (m[2] === 'm') style = applyCodes(style, m[1] ?? '')
    last = m.index + m[0].length
  }
  if (last < line.length) out.push({ text: line.slice(last), style })
  return out
}
