import { expect } from 'chai'
import { resolveRevisionFiles, type RevisionFacts } from '../../../src/workspace/revision-files.ts'

const facts = (over: Partial<RevisionFacts> = {}): RevisionFacts => ({
  kind: 'workspace',
  name: 'ops',
  revision: 'r1',
  sourceType: 'folder',
  serving: 'r1',
  keptRoot: '/srv/ops',
  rootExists: true,
  ...over,
})

describe("where a revision's files are served from (resolveRevisionFiles)", () => {
  it("serves a folder's current revision from the folder", () => {
    expect(resolveRevisionFiles(facts())).to.deep.equal({ ok: true, root: '/srv/ops' })
  })

  it('serves an older git revision from its checkout', () => {
    const f = facts({ sourceType: 'git', serving: 'r2', keptRoot: '/cache/checkouts/r1' })
    expect(resolveRevisionFiles(f)).to.deep.equal({ ok: true, root: '/cache/checkouts/r1' })
  })

  it('refuses (409) an older revision of a folder, whose files have changed since', () => {
    expect(resolveRevisionFiles(facts({ serving: 'r2' }))).to.deep.equal({
      ok: false,
      status: 409,
      message:
        "the folder of workspace 'ops' has changed since revision 'r1' (now 'r2'): only the " +
        "current revision's files can be served",
    })
  })

  it('answers 404 for a revision no longer kept, or whose checkout was pruned', () => {
    const gone = {
      ok: false,
      status: 404,
      message:
        "revision 'r1' of library 'common' is not kept on this server any more (serving: r2)",
    }
    const lib = { kind: 'library', name: 'common', sourceType: 'git', serving: 'r2' } as const
    expect(resolveRevisionFiles(facts({ ...lib, keptRoot: null }))).to.deep.equal(gone)
    expect(resolveRevisionFiles(facts({ ...lib, rootExists: false }))).to.deep.equal(gone)
  })
})
