/** Admin pages: users (create, role, disable), the caller's API keys (shown once), the audit log. */
import { useState } from 'preact/hooks'
import { ApiError, enc, get, post, request, withQuery } from '../data/client.ts'
import type { ApiKeyDto, AuditDto, UserDto } from '../data/types.ts'
import { formatTime } from '../lib/format.ts'
import {
  Button,
  Card,
  Empty,
  ErrorNotice,
  Loading,
  PageHeader,
  useLoad,
} from '../components/ui.tsx'

const ROLES = ['admin', 'member', 'viewer'] as const

export function UsersPage() {
  const users = useLoad(() => get<UserDto[]>('/api/users', { limit: 500 }), [])
  const [form, setForm] = useState({ email: '', name: '', role: 'member', password: '' })
  const [error, setError] = useState<unknown>(null)
  const [field, setField] = useState<string | null>(null)

  const create = async () => {
    setError(null)
    setField(null)
    try {
      await post('/api/users', {
        email: form.email,
        name: form.name,
        role: form.role,
        password: form.password === '' ? undefined : form.password,
      })
      setForm({ email: '', name: '', role: 'member', password: '' })
      users.reload()
    } catch (e) {
      setError(e)
      if (e instanceof ApiError) setField(e.field)
    }
  }
  const update = async (u: UserDto, patch: Record<string, unknown>) => {
    setError(null)
    try {
      await request('PUT', `/api/users/${enc(u.user_id)}`, patch)
      users.reload()
    } catch (e) {
      setError(e)
    }
  }
  const control = (key: keyof typeof form, label: string, kind: 'text' | 'email' | 'password') => {
    const attrs = {
      id: `user-${key}`,
      value: form[key],
      'aria-invalid': field === key ? ('true' as const) : undefined,
      onInput: (ev: Event) =>
        setForm({ ...form, [key]: (ev.currentTarget as HTMLInputElement).value }),
    }
    return (
      <div class="field">
        <label for={`user-${key}`}>{label}</label>
        {kind === 'email' ? (
          <input {...attrs} type="email" />
        ) : kind === 'password' ? (
          <input {...attrs} type="password" autocomplete="new-password" />
        ) : (
          <input {...attrs} type="text" />
        )}
      </div>
    )
  }
  return (
    <>
      <PageHeader title="Users" />
      <ErrorNotice error={users.error ?? error} />
      <Card title="New user" labelledBy="new-user-title">
        <form
          class="inline-form"
          onSubmit={(ev) => {
            ev.preventDefault()
            void create()
          }}
        >
          {control('email', 'Email', 'email')}
          {control('name', 'Name', 'text')}
          <div class="field">
            <label for="user-role">Role</label>
            <select
              id="user-role"
              value={form.role}
              onChange={(ev) => setForm({ ...form, role: ev.currentTarget.value })}
            >
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </div>
          {control('password', 'Password (optional)', 'password')}
          <Button type="submit" variant="primary">
            Create user
          </Button>
        </form>
      </Card>
      <Card title="Users" labelledBy="users-title">
        {users.data === undefined ? (
          <Loading what="users" />
        ) : (
          <table class="table">
            <caption class="sr-only">Users</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Last login</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {users.data.map((u) => (
                <tr key={u.user_id}>
                  <th scope="row">{u.email}</th>
                  <td>{u.name}</td>
                  <td>
                    <label>
                      <span class="sr-only">Role of {u.email}</span>
                      <select
                        value={u.role}
                        onChange={(ev) => void update(u, { role: ev.currentTarget.value })}
                      >
                        {ROLES.map((r) => (
                          <option key={r}>{r}</option>
                        ))}
                      </select>
                    </label>
                  </td>
                  <td>{formatTime(u.last_login_at)}</td>
                  <td>
                    <Button
                      class="btn-small"
                      onClick={() => void update(u, { disabled: !u.disabled })}
                    >
                      {u.disabled ? 'Enable' : 'Disable'}
                      <span class="sr-only"> {u.email}</span>
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  )
}

export function ApiKeysPage() {
  const keys = useLoad(() => get<ApiKeyDto[]>('/api/auth/api-keys'), [])
  const [name, setName] = useState('')
  const [days, setDays] = useState('')
  const [created, setCreated] = useState<ApiKeyDto | null>(null)
  const [error, setError] = useState<unknown>(null)
  const create = async () => {
    setError(null)
    try {
      const key = await post<ApiKeyDto>('/api/auth/api-keys', {
        name,
        expires_in_days: days === '' ? undefined : Number(days),
      })
      setCreated(key)
      setName('')
      keys.reload()
    } catch (e) {
      setError(e)
    }
  }
  const revoke = async (prefix: string) => {
    if (!window.confirm(`Revoke API key ${prefix}?`)) return
    try {
      await request('DELETE', `/api/auth/api-keys/${enc(prefix)}`)
      keys.reload()
    } catch (e) {
      setError(e)
    }
  }
  return (
    <>
      <PageHeader title="API keys" />
      <ErrorNotice error={keys.error ?? error} />
      {created?.key && (
        <div class="notice notice-ok" role="status">
          <p>
            Key <strong>{created.name}</strong> created. Copy it now: it is shown only once.
          </p>
          <code class="secret" data-testid="new-api-key">
            {created.key}
          </code>
          <Button
            class="btn-small"
            onClick={() => void navigator.clipboard?.writeText(created.key ?? '')}
          >
            Copy
          </Button>
        </div>
      )}
      <Card title="New key" labelledBy="new-key-title">
        <form
          class="inline-form"
          onSubmit={(ev) => {
            ev.preventDefault()
            void create()
          }}
        >
          <div class="field">
            <label for="key-name">Name</label>
            <input
              id="key-name"
              required
              value={name}
              onInput={(ev) => setName(ev.currentTarget.value)}
            />
          </div>
          <div class="field">
            <label for="key-days">Expires in days (optional)</label>
            <input
              id="key-days"
              inputMode="numeric"
              value={days}
              onInput={(ev) => setDays(ev.currentTarget.value)}
            />
          </div>
          <Button type="submit" variant="primary">
            Create key
          </Button>
        </form>
      </Card>
      <Card title="Your keys" labelledBy="keys-title">
        {keys.data === undefined ? (
          <Loading what="keys" />
        ) : keys.data.length === 0 ? (
          <Empty>No API keys.</Empty>
        ) : (
          <table class="table">
            <caption class="sr-only">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Prefix</th>
                <th scope="col">Name</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((k) => (
                <tr key={k.prefix}>
                  <th scope="row" class="mono">
                    {k.prefix}
                  </th>
                  <td>{k.name}</td>
                  <td>{formatTime(k.expires_at)}</td>
                  <td>{formatTime(k.last_used_at)}</td>
                  <td>
                    {k.revoked_at ? (
                      'revoked'
                    ) : (
                      <Button
                        class="btn-small"
                        variant="danger"
                        onClick={() => void revoke(k.prefix)}
                      >
                        Revoke<span class="sr-only"> {k.prefix}</span>
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  )
}

export function AuditPage() {
  const [filters, setFilters] = useState({ actor: '', action: '' })
  const [applied, setApplied] = useState(filters)
  const [more, setMore] = useState<AuditDto[]>([])
  const [cursor, setCursor] = useState<string | null>(null)
  const page = useLoad(async () => {
    const res = await request<AuditDto[]>('GET', withQuery('/api/audit', { ...applied, limit: 50 }))
    setMore([])
    setCursor(res.headers.get('X-Next-Cursor'))
    return res.data
  }, [applied.actor, applied.action])
  const loadMore = async () => {
    if (!cursor) return
    const res = await request<AuditDto[]>(
      'GET',
      withQuery('/api/audit', { ...applied, limit: 50, cursor }),
    )
    setMore((m) => [...m, ...res.data])
    setCursor(res.headers.get('X-Next-Cursor'))
  }
  const entries = [...(page.data ?? []), ...more]
  return (
    <>
      <PageHeader title="Audit log" />
      <form
        class="filters"
        aria-label="Audit filters"
        onSubmit={(ev) => {
          ev.preventDefault()
          setApplied(filters)
        }}
      >
        <label>
          Actor
          <input
            value={filters.actor}
            onInput={(ev) => setFilters({ ...filters, actor: ev.currentTarget.value })}
          />
        </label>
        <label>
          Action
          <input
            value={filters.action}
            placeholder="job.cancelled"
            onInput={(ev) => setFilters({ ...filters, action: ev.currentTarget.value })}
          />
        </label>
        <Button type="submit">Filter</Button>
      </form>
      <ErrorNotice error={page.error} />
      <Card>
        {page.data === undefined ? (
          <Loading what="the audit log" />
        ) : entries.length === 0 ? (
          <Empty>No entries.</Empty>
        ) : (
          <table class="table" data-testid="audit-table">
            <caption class="sr-only">Audit entries</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id}>
                  <td>{formatTime(e.at)}</td>
                  <td>{e.actor ?? e.actor_type}</td>
                  <td class="mono">{e.action}</td>
                  <td>
                    {e.target_type} <span class="mono small">{e.target_id}</span>
                  </td>
                  <td>{e.outcome}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {cursor && (
          <div class="more">
            <Button onClick={() => void loadMore()}>Load more</Button>
          </div>
        )}
      </Card>
    </>
  )
}
