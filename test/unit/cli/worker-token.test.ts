import { expect } from 'chai'
import { parseCreateOptions } from '../../../src/cli/commands/worker-token.ts'

describe('weir worker-token create options', () => {
  it('reads a name, a number of uses and an expiry in days, hours or minutes', () => {
    expect(parseCreateOptions({ name: 'ci' })).to.deep.equal({
      name: 'ci',
      uses: null,
      expiresInSecs: null,
    })
    expect(parseCreateOptions({ name: 'ci', uses: '3', expires: '7d' })).to.deep.equal({
      name: 'ci',
      uses: 3,
      expiresInSecs: 7 * 86_400,
    })
    expect(parseCreateOptions({ name: 'ci', expires: '1h30m' })).to.deep.include({
      expiresInSecs: 5400,
    })
  })

  it('reports every bad option at once', () => {
    const problems = parseCreateOptions({ name: 'no spaces', uses: '0', expires: 'soon' })
    expect(problems).to.be.an('array').with.length(3)
    expect((problems as string[]).join('\n'))
      .to.contain('--name')
      .and.contain('--uses')
      .and.contain('--expires')
  })
})
