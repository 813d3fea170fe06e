import { expect } from 'chai'
import { parseAnsi } from '../../../src/ui/lib/ansi.ts'

describe('ui: ANSI colours in log lines', () => {
  it('keeps a plain line as one unstyled segment', () => {
    expect(parseAnsi('hello')).to.deep.equal([{ text: 'hello', style: {} }])
  })

  it('applies and resets the 16 colours, bold and underline', () => {
    expect(
      parseAnsi('\x1b[31mred\x1b[0m plain \x1b[1;92mbright\x1b[22m\x1b[4mu\x1b[0m'),
    ).to.deep.equal([
      { text: 'red', style: { fg: 1 } },
      { text: ' plain ', style: {} },
      { text: 'bright', style: { bold: true, fg: 10 } },
      { text: 'u', style: { fg: 10, underline: true } },
    ])
  })

  it('reads 256-colour and true-colour codes as CSS colours', () => {
    expect(parseAnsi('\x1b[38;5;196ma\x1b[48;2;1;2;3mb')).to.deep.equal([
      { text: 'a', style: { fg: 'rgb(255, 0, 0)' } },
      { text: 'b', style: { fg: 'rgb(255, 0, 0)', bg: 'rgb(1, 2, 3)' } },
    ])
    expect(parseAnsi('\x1b[38;5;3mx')).to.deep.equal([{ text: 'x', style: { fg: 3 } }])
    expect(parseAnsi('\x1b[38;5;240mx')).to.deep.equal([
      { text: 'x', style: { fg: 'rgb(88, 88, 88)' } },
    ])
  })

  it('drops escape sequences that are not colours (cursor moves, titles)', () => {
    expect(parseAnsi('\x1b[2K\x1b[1Gdone\x1b]0;title\x07!')).to.deep.equal([
      { text: 'done', style: {} },
      { text: '!', style: {} },
    ])
  })

  it('treats ESC[m as a reset', () => {
    expect(parseAnsi('\x1b[33my\x1b[mn')).to.deep.equal([
      { text: 'y', style: { fg: 3 } },
      { text: 'n', style: {} },
    ])
  })
})
