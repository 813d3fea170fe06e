/**
 * A remote worker's identity (API.md §11.1): `POST /worker/register` with the enrollment token
 * returns a worker id and secret, which are kept in a state file (mode 0600) so a restarted
 * worker keeps its identity; it registers again only after the server refuses the secret (401).
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { coerceError } from '../shared/errors.ts'
import { errorOf, registerReplySchema } from './remote-wire.ts'
import type { WorkerHttp } from './worker-http.ts'

export interface WorkerCredentials {
  readonly serverUrl: string
  readonly workerId: string
  readonly workerSecret: string
  readonly heartbeatIntervalSecs: number
  readonly leaseTtlSecs: number
  readonly maxClaimWaitSecs: number
  /** What the worker registered with (a file from before capabilities were kept: `script`). */
  readonly capabilities: ReadonlyArray<string>
}

export interface RegisterRequest {
  readonly name: string
  readonly hostname: string
  readonly version: string
  readonly capabilities: ReadonlyArray<string>
  readonly tags: ReadonlyArray<string>
  readonly maxConcurrency: number
}

export type RegisterResult =
  | { readonly kind: 'ok'; readonly credentials: WorkerCredentials }
  /** The server answered with a refusal (bad token, bad name …): retrying will not help. */
  | { readonly kind: 'refused'; readonly status: number; readonly error: string }
  /** No usable answer (down, restarting, 5xx): try again later. */
  | { readonly kind: 'unreachable'; readonly error: string }

const stateFileSchema = z.object({
  server_url: z.string(),
  worker_id: z.string().min(1),
  worker_secret: z.string().min(1),
  heartbeat_interval_secs: z.number().positive(),
  lease_ttl_secs: z.number().positive(),
  max_claim_wait_secs: z.number().positive(),
  capabilities: z.array(z.string()).default(['script']),
})

/** `<stateDir>/<name>.json`: one file per worker name, so several workers can share a host. */
export function stateFilePath(stateDir: string, name: string): string {
  return join(stateDir, `${name}.json`)
}

export class CredentialStore {
  readonly #path: string

  constructor(path: string) {
    this.#path = path
  }

  get path(): string {
    return this.#path
  }

  /** The saved credentials for this server, or null (none, unreadable, or another server's). */
  load(serverUrl: string): WorkerCredentials | null {
    let raw: unknown
    try {
      raw = JSON.parse(readFileSync(this.#path, 'utf8')) as unknown
    } catch {
      return null
    }
    const parsed = stateFileSchema.safeParse(raw)
    if (!parsed.success || parsed.data.server_url !== serverUrl) return null
    const d = parsed.data
    return {
      serverUrl: d.server_url,
      workerId: d.worker_id,
      workerSecret: d.worker_secret,
      heartbeatIntervalSecs: d.heartbeat_interval_secs,
      leaseTtlSecs: d.lease_ttl_secs,
      maxClaimWaitSecs: d.max_claim_wait_secs,
      capabilities: d.capabilities,
    }
  }

  /** Writes the file readable by its owner only; a crash mid-write leaves the old file intact. */
  save(c: WorkerCredentials): void {
    mkdirSync(dirname(this.#path), { recursive: true, mode: 0o700 })
    const body = {
      server_url: c.serverUrl,
      worker_id: c.workerId,
      worker_secret: c.workerSecret,
      heartbeat_interval_secs: c.heartbeatIntervalSecs,
      lease_ttl_secs: c.leaseTtlSecs,
      max_claim_wait_secs: c.maxClaimWaitSecs,
      capabilities: c.capabilities,
    }
    const tmp = `${this.#path}.${process.pid}.tmp`
    writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 })
    chmodSync(tmp, 0o600)
    renameSync(tmp, this.#path)
  }

  clear(): void {
    rmSync(this.#path, { force: true })
  }
}

/** `POST /worker/register` with the enrollment token. */
export async function registerWorker(
  http: WorkerHttp,
  enrollmentToken: string,
  req: RegisterRequest,
  signal?: AbortSignal,
): Promise<RegisterResult> {
  const res = await http.post(
    '/worker/register',
    {
      name: req.name,
      hostname: req.hostname,
      version: req.version,
      capabilities: req.capabilities,
      tags: req.tags,
      max_concurrency: req.maxConcurrency,
    },
    { bearer: enrollmentToken, timeoutMs: 15_000, signal },
  )
  if (res.status === null) return { kind: 'unreachable', error: res.error }
  if (res.status >= 500 || res.status === 429 || res.status === 408) {
    return { kind: 'unreachable', error: `${res.status}: ${errorOf(res.body).error}` }
  }
  if (res.status !== 201 && res.status !== 200) {
    return { kind: 'refused', status: res.status, error: errorOf(res.body).error }
  }
  const reply = registerReplySchema.safeParse(res.body)
  if (!reply.success) {
    return {
      kind: 'refused',
      status: res.status,
      error: `unexpected register reply: ${coerceError(reply.error).message}`,
    }
  }
  const r = reply.data
  return {
    kind: 'ok',
    credentials: {
      serverUrl: http.serverUrl,
      workerId: r.worker_id,
      workerSecret: r.worker_secret,
      heartbeatIntervalSecs: r.heartbeat_interval_secs,
      leaseTtlSecs: r.lease_ttl_secs,
      maxClaimWaitSecs: r.max_claim_wait_secs,
      capabilities: [...req.capabilities],
    },
  }
}
