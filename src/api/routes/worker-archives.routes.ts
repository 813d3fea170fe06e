/**
 * The files of a workspace or library revision as a gzip tar archive (API.md §11.2), for remote
 * workers running steps with `source:` scripts. Streamed from disk as it is packed, never held
 * whole; `.git` folders stay out. The revision names the content, so it is the ETag.
 */
import type Router from '@koa/router'
import type { Context } from 'koa'
import { z } from 'zod'
import { packDirectory } from '../../shared/tar-archive.ts'
import { revisionRoot, type FilesKind } from '../../workspace/revision-files.ts'
import type { ApiDeps } from '../api-deps.ts'
import { etagMatches, quoteEtag } from '../etag.ts'
import { workerAuth } from '../middleware/worker-auth.ts'
import { parseQuery } from '../zod-issues.ts'

export const archiveQuerySchema = z.object({
  revision: z
    .string({ error: 'revision is required' })
    .regex(/^[A-Za-z0-9._-]{1,128}$/, { error: 'revision must match [A-Za-z0-9._-]{1,128}' })
    .describe('The revision whose files to send (a job’s `revision`, or a git commit)'),
})

const isGitFolder = (name: string) => name === '.git' || name.endsWith('/.git')

export function workerArchiveRoutes(router: Router, deps: ApiDeps): void {
  const auth = workerAuth(deps)

  const archive = (kind: FilesKind, param: 'ws' | 'lib') => (ctx: Context) => {
    const name = (ctx.params as Record<string, string | undefined>)[param] ?? ''
    const { revision } = parseQuery(archiveQuerySchema, ctx.query)
    // Throws 404/409 naming the workspace or library and the revision.
    const root = revisionRoot(deps.registry, { kind, name, revision })
    ctx.set('ETag', quoteEtag(revision))
    if (etagMatches(ctx.get('If-None-Match') || undefined, revision)) {
      ctx.status = 304
      return
    }
    ctx.type = 'application/gzip'
    ctx.body = packDirectory(root, { exclude: isGitFolder })
  }

  router.get('/worker/workspaces/:ws/archive', auth, archive('workspace', 'ws'))
  router.get('/worker/libraries/:lib/archive', auth, archive('library', 'lib'))
}
