/** An app with `auth` configured, and small helpers to log in and call it with a token. */
import { buildTestApp, type TestApp } from './test-app.ts'
import { waitFor } from './wait-for.ts'

export const JWT_SECRET = 'integration-jwt-secret-0123456789'
export const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' }

export function buildAuthTestApp(
  opts: { env?: Record<string, string>; worker?: boolean } = {},
): Promise<TestApp> {
  return buildTestApp({
    worker: opts.worker,
    env: {
      WEIR__AUTH__JWT_SECRET: JWT_SECRET,
      WEIR__AUTH__INITIAL_USER__EMAIL: ADMIN.email,
      WEIR__AUTH__INITIAL_USER__PASSWORD: ADMIN.password,
      ...opts.env,
    },
  })
}

export interface Tokens {
  readonly access_token: string
  readonly refresh_token: string
  readonly token_type: string
  readonly expires_in: number
}

export async function login(t: TestApp, email: string, password: string): Promise<Tokens> {
  const res = await t.request().post('/api/auth/login').send({ email, password })
  if (res.status !== 200)
    throw new Error(`login ${email} -> ${res.status} ${JSON.stringify(res.body)}`)
  return res.body as Tokens
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` })

/** Creates a user through the admin API and returns its id. */
export async function createUser(
  t: TestApp,
  adminToken: string,
  u: { email: string; name: string; role: string; password?: string },
): Promise<string> {
  const res = await t.request().post('/api/users').set(bearer(adminToken)).send(u)
  if (res.status !== 201)
    throw new Error(`create user -> ${res.status} ${JSON.stringify(res.body)}`)
  return (res.body as { user_id: string }).user_id
}

/** Creates an API key for the caller and returns the secret. */
export async function createApiKey(t: TestApp, token: string, name = 'test'): Promise<string> {
  const res = await t.request().post('/api/auth/api-keys').set(bearer(token)).send({ name })
  if (res.status !== 201) throw new Error(`create key -> ${res.status} ${JSON.stringify(res.body)}`)
  return (res.body as { key: string }).key
}

/** Waits until a job is terminal, reading it with `token`; returns its detail body. */
export async function waitForJobAs(
  t: TestApp,
  token: string,
  jobId: string,
): Promise<Record<string, any>> {
  return waitFor(
    async () => {
      const res = await t.request().get(`/api/jobs/${jobId}`).set(bearer(token))
      const body = res.body as Record<string, any>
      return ['completed', 'failed', 'cancelled'].includes(body.status as string) ? body : undefined
    },
    { timeoutMs: 20_000, intervalMs: 20, what: `job ${jobId} to finish` },
  )
}

export const MEMBER = {
  email: 'Mia.Member@example.com',
  name: 'Mia',
  role: 'member',
  password: 'member-pass-1',
}
export const VIEWER = {
  email: 'vic@example.com',
  name: 'Vic',
  role: 'viewer',
  password: 'viewer-pass-1',
}
