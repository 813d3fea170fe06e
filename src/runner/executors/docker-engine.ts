/**
 * The Docker Engine API as Weir uses it, over dockerode (the one module that imports it): ping,
 * images (inspect, pull), containers (create, attach, start, wait, kill, remove) and lists by
 * label. Errors keep the Engine's own message; `statusCode` tells a missing object (404) apart.
 */
import Docker from 'dockerode'
import { coerceError } from '../../shared/errors.ts'
import { describeDockerHost, parseDockerHost } from '../../shared/docker-host.ts'

export interface EngineContainerSpec {
  readonly name: string
  readonly image: string
  readonly labels: Readonly<Record<string, string>>
  /** `NAME=value` pairs: the complete environment of the container's process. */
  readonly env: ReadonlyArray<string>
  /** Exec form; null keeps the image's. */
  readonly entrypoint: ReadonlyArray<string> | null
  readonly cmd: ReadonlyArray<string> | null
  readonly workingDir: string | null
  /** `host-path:container-path:ro|rw`. */
  readonly binds: ReadonlyArray<string>
  /** `none`, `host`, `bridge` or a network name; null: the engine's default. */
  readonly network: string | null
  readonly nanoCpus: number | null
  readonly memoryBytes: number | null
}

export interface LabelledContainer {
  readonly id: string
  readonly name: string
  readonly state: string
  readonly labels: Readonly<Record<string, string>>
}

export interface EngineInfo {
  readonly version: string
  readonly apiVersion: string
}

/** The Engine's message of a failed call (its JSON `message`), else the client's. */
export function engineErrorMessage(e: unknown): string {
  const err = e as { json?: { message?: unknown }; reason?: unknown } | null
  const fromJson = err?.json?.message
  if (typeof fromJson === 'string' && fromJson !== '') return fromJson.trim()
  return coerceError(e)
    .message.replace(/^\(HTTP code \d+\)\s*/, '')
    .trim()
}

export function engineStatusOf(e: unknown): number | undefined {
  const code = (e as { statusCode?: unknown } | null)?.statusCode
  return typeof code === 'number' ? code : undefined
}

export class DockerEngine {
  readonly #docker: Docker
  /** The address as given in the config, for messages. */
  readonly address: string

  constructor(host: string) {
    const parsed = parseDockerHost(host)
    if (typeof parsed === 'string') throw new Error(`docker host ${parsed}`)
    this.address = describeDockerHost(parsed)
    this.#docker =
      parsed.kind === 'socket'
        ? new Docker({ socketPath: parsed.socketPath })
        : new Docker({ protocol: parsed.protocol, host: parsed.host, port: parsed.port })
  }

  /** Resolves with the Engine's version when it answers within `timeoutMs`. */
  async ping(timeoutMs: number): Promise<EngineInfo> {
    let timer: NodeJS.Timeout | undefined
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    })
    try {
      const v = await Promise.race([this.#docker.version(), expired])
      return { version: v.Version, apiVersion: v.ApiVersion }
    } finally {
      clearTimeout(timer)
    }
  }

  async hasImage(image: string): Promise<boolean> {
    try {
      await this.#docker.getImage(image).inspect()
      return true
    } catch (e) {
      if (engineStatusOf(e) === 404) return false
      throw e
    }
  }

  /** Pulls `image` to the end of its progress stream; rejects with the registry's error. */
  async pull(image: string): Promise<void> {
    const stream = await this.#docker.pull(image)
    await new Promise<void>((resolve, reject) => {
      this.#docker.modem.followProgress(stream, (err: Error | null, events: unknown[]) => {
        if (err) return reject(err)
        // A failed pull can end its stream normally with an `error` event as the last word.
        const failed = (events ?? []).find(
          (ev): ev is { error: string } => typeof (ev as { error?: unknown }).error === 'string',
        )
        if (failed) reject(new Error(failed.error))
        else resolve()
      })
    })
  }

  /** Creates the container (not started); resolves with its id. */
  async create(spec: EngineContainerSpec): Promise<string> {
    const c = await this.#docker.createContainer({
      name: spec.name,
      Image: spec.image,
      Labels: { ...spec.labels },
      Env: [...spec.env],
      ...(spec.entrypoint ? { Entrypoint: [...spec.entrypoint] } : {}),
      ...(spec.cmd ? { Cmd: [...spec.cmd] } : {}),
      ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: false,
      OpenStdin: false,
      Tty: false,
      HostConfig: {
        Binds: [...spec.binds],
        // An init process as PID 1 passes SIGTERM on to the step, as a shell would not.
        Init: true,
        ...(spec.network ? { NetworkMode: spec.network } : {}),
        ...(spec.nanoCpus !== null ? { NanoCpus: spec.nanoCpus } : {}),
        ...(spec.memoryBytes !== null ? { Memory: spec.memoryBytes } : {}),
      },
    })
    return c.id
  }

  /** The multiplexed stdout/stderr stream (docker-stream.ts); attach before start to miss nothing. */
  async attach(id: string): Promise<NodeJS.ReadableStream> {
    return this.#docker.getContainer(id).attach({ stream: true, stdout: true, stderr: true })
  }

  async start(id: string): Promise<void> {
    await this.#docker.getContainer(id).start()
  }

  /** Waits until the container is not running; resolves with its exit code. */
  async wait(id: string): Promise<number> {
    const r = (await this.#docker.getContainer(id).wait({ condition: 'not-running' })) as {
      StatusCode?: unknown
    }
    return typeof r.StatusCode === 'number' ? r.StatusCode : -1
  }

  /** Sends a signal; a container that is gone or no longer running is not an error. */
  async kill(id: string, signal: NodeJS.Signals): Promise<void> {
    try {
      await this.#docker.getContainer(id).kill({ signal })
    } catch (e) {
      const status = engineStatusOf(e)
      if (status !== 404 && status !== 409) throw e
    }
  }

  /** Removes the container, running or not (and its anonymous volumes); gone already is fine. */
  async remove(id: string): Promise<void> {
    try {
      await this.#docker.getContainer(id).remove({ force: true, v: true })
    } catch (e) {
      const status = engineStatusOf(e)
      // 409: a removal is already in progress.
      if (status !== 404 && status !== 409) throw e
    }
  }

  /** Containers (running or not) carrying `label`, or `label=value`. */
  async listLabelled(label: string): Promise<LabelledContainer[]> {
    const list = await this.#docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [label] }),
    })
    return list.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
      state: c.State,
      labels: c.Labels ?? {},
    }))
  }
}
