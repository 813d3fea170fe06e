/**
 * Where the files of one workspace or library revision are, for the archive a remote worker
 * downloads (API.md §11.2). A git source keeps a checkout per revision (until pruned); a folder
 * source has only its current files, so an older revision of a folder cannot be served: sending
 * today's files under yesterday's revision would run a job's steps against files it was not
 * planned from.
 */
import { existsSync } from 'node:fs'
import { ConflictError, NotFoundError } from '../shared/errors.ts'
import type { WorkspaceRegistry } from './workspace-registry.ts'

export type FilesKind = 'workspace' | 'library'

/** What is known of one revision of a source, gathered from the registry. */
export interface RevisionFacts {
  readonly kind: FilesKind
  readonly name: string
  readonly revision: string
  readonly sourceType: 'folder' | 'git'
  /** The revision served now, or null when the source never loaded. */
  readonly serving: string | null
  /** The root of the requested revision when it is still kept, else null. */
  readonly keptRoot: string | null
  /** The root exists on disk (a git checkout may have been pruned). */
  readonly rootExists: boolean
}

export type RevisionFiles =
  | { readonly ok: true; readonly root: string }
  | { readonly ok: false; readonly status: 404 | 409; readonly message: string }

/** Decides whether a revision's files can be served, and from where. Pure. */
export function resolveRevisionFiles(f: RevisionFacts): RevisionFiles {
  const what = `${f.kind} '${f.name}'`
  if (f.keptRoot === null || !f.rootExists) {
    return {
      ok: false,
      status: 404,
      message:
        `revision '${f.revision}' of ${what} is not kept on this server any more ` +
        `(serving: ${f.serving ?? 'none'})`,
    }
  }
  if (f.sourceType === 'folder' && f.serving !== f.revision) {
    return {
      ok: false,
      status: 409,
      message:
        `the folder of ${what} has changed since revision '${f.revision}' ` +
        `(now '${f.serving ?? 'none'}'): only the current revision's files can be served`,
    }
  }
  return { ok: true, root: f.keptRoot }
}

/**
 * The root of a revision's files; throws NotFoundError for an unknown workspace or library or a
 * revision no longer kept, ConflictError for an older revision of a folder source.
 */
export function revisionRoot(
  registry: WorkspaceRegistry,
  ref: { readonly kind: FilesKind; readonly name: string; readonly revision: string },
): string {
  const facts =
    ref.kind === 'workspace' ? workspaceFacts(registry, ref) : libraryFacts(registry, ref)
  const r = resolveRevisionFiles(facts)
  if (r.ok) return r.root
  throw r.status === 404 ? new NotFoundError(r.message) : new ConflictError(r.message)
}

function workspaceFacts(
  registry: WorkspaceRegistry,
  ref: { readonly name: string; readonly revision: string },
): RevisionFacts {
  const entry = registry.getEntry(ref.name)
  const kept = registry.getVersion(ref.name, ref.revision)?.root ?? null
  return {
    kind: 'workspace',
    name: ref.name,
    revision: ref.revision,
    sourceType: entry.source.type,
    serving: entry.current?.revision ?? null,
    keptRoot: kept,
    rootExists: kept !== null && existsSync(kept),
  }
}

function libraryFacts(
  registry: WorkspaceRegistry,
  ref: { readonly name: string; readonly revision: string },
): RevisionFacts {
  const lib = registry.libraries?.describe(ref.name)
  if (!lib) throw new NotFoundError(`library '${ref.name}' not found`)
  const kept = registry.libraries!.rootOf(ref.name, ref.revision)
  return {
    kind: 'library',
    name: ref.name,
    revision: ref.revision,
    sourceType: lib.type,
    serving: lib.serving,
    keptRoot: kept,
    rootExists: kept !== null && existsSync(kept),
  }
}
