/**
 * Where the Docker Engine API listens, from a `DOCKER_HOST`-style address: `unix:///path` (the
 * default `unix:///var/run/docker.sock`), or `tcp://host:port` (plain HTTP; `http://` and
 * `https://` are taken as written). Pure, shared by the config checks and the engine client.
 */
export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock'

export type DockerAddress =
  | { readonly kind: 'socket'; readonly socketPath: string }
  | {
      readonly kind: 'http'
      readonly protocol: 'http' | 'https'
      readonly host: string
      readonly port: number
    }

/** The address, or a message saying what is wrong with it. */
export function parseDockerHost(value: string): DockerAddress | string {
  const v = value.trim()
  if (v.startsWith('unix://')) {
    const socketPath = v.slice('unix://'.length)
    if (!socketPath.startsWith('/'))
      return `'${value}' needs an absolute socket path (unix:///var/run/docker.sock)`
    return { kind: 'socket', socketPath }
  }
  const m = /^(tcp|http|https):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/.exec(v)
  if (m) {
    const scheme = m[1]!
    const protocol = scheme === 'https' ? 'https' : 'http'
    const port = m[3] !== undefined ? Number(m[3]) : protocol === 'https' ? 2376 : 2375
    if (port < 1 || port > 65535) return `'${value}' has an invalid port`
    return { kind: 'http', protocol, host: m[2]!.replace(/^\[|\]$/g, ''), port }
  }
  return `'${value}' is not a Docker host address (expected unix:///path/to/docker.sock or tcp://host:port)`
}

/** The address as a short text for logs and messages. */
export function describeDockerHost(a: DockerAddress): string {
  return a.kind === 'socket' ? `unix://${a.socketPath}` : `${a.protocol}://${a.host}:${a.port}`
}
