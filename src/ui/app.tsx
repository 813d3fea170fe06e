/** The shell: starting and sign-in states, the navigation, and the page for the current path. */
import { useEffect } from 'preact/hooks'
import { closeEventStream, eventStreamState, openEventStream } from './data/event-stream.ts'
import { logout, session, type Session } from './data/session.ts'
import { match, useLocation } from './lib/router.ts'
import { useStore } from './lib/store.ts'
import { Link } from './components/ui.tsx'
import { DashboardPage } from './pages/dashboard.tsx'
import { JobsPage } from './pages/jobs.tsx'
import { JobDetailPage } from './pages/job-detail.tsx'
import { TasksPage } from './pages/tasks.tsx'
import { TaskDetailPage } from './pages/task-detail.tsx'
import { WorkspacesPage } from './pages/workspaces.tsx'
import { WorkersPage } from './pages/workers.tsx'
import { LoginPage } from './pages/login.tsx'
import { ApiKeysPage, AuditPage, UsersPage } from './pages/admin.tsx'

interface NavItem {
  readonly href: string
  readonly label: string
  readonly show: (s: Session) => boolean
}

const always = () => true
const isAdmin = (s: Session) =>
  s.kind === 'open' || (s.kind === 'signed-in' && s.user.role === 'admin')

const NAV: ReadonlyArray<NavItem> = [
  { href: '/', label: 'Dashboard', show: always },
  { href: '/jobs', label: 'Jobs', show: always },
  { href: '/tasks', label: 'Tasks', show: always },
  { href: '/workspaces', label: 'Workspaces', show: always },
  { href: '/workers', label: 'Workers', show: always },
  { href: '/admin/users', label: 'Users', show: isAdmin },
  { href: '/admin/api-keys', label: 'API keys', show: (s) => s.kind === 'signed-in' },
  { href: '/admin/audit', label: 'Audit', show: isAdmin },
]

function Page({ path }: { path: string }) {
  let p: Record<string, string> | null
  if (path === '/') return <DashboardPage />
  if (path === '/jobs') return <JobsPage />
  if ((p = match('/jobs/:id', path))) return <JobDetailPage key={p.id} id={p.id!} />
  if (path === '/tasks') return <TasksPage />
  if ((p = match('/tasks/:ws/:task', path))) return <TaskDetailPage ws={p.ws!} name={p.task!} />
  if (path === '/workspaces') return <WorkspacesPage />
  if (path === '/workers') return <WorkersPage />
  if (path === '/admin/users') return <UsersPage />
  if (path === '/admin/api-keys') return <ApiKeysPage />
  if (path === '/admin/audit') return <AuditPage />
  return (
    <>
      <h1>Not found</h1>
      <p>
        Nothing lives at <code>{path}</code>. <Link href="/">Back to the dashboard</Link>
      </p>
    </>
  )
}

function isCurrent(href: string, path: string): boolean {
  return href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`)
}

function StreamIndicator() {
  const state = useStore(eventStreamState)
  return (
    <span
      class={`live-dot live-${state}`}
      role="status"
      data-testid="event-stream-state"
      title={`live updates: ${state}`}
    >
      {state === 'live' ? 'live' : state}
    </span>
  )
}

export function App() {
  const s = useStore(session)
  const loc = useLocation()

  useEffect(() => {
    if (s.kind === 'signed-out') closeEventStream()
    if (s.kind === 'open' || s.kind === 'signed-in') openEventStream()
  }, [s.kind])

  if (s.kind === 'loading') return <p class="boot muted">Loading…</p>
  if (s.kind === 'starting')
    return (
      <main id="main" class="boot" data-testid="starting">
        <h1>Weir is starting</h1>
        <p class="muted" role="status">
          {s.message}. This page continues by itself once the server is ready.
        </p>
      </main>
    )
  if (s.kind === 'signed-out') return <LoginPage message={s.message} />

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <Link href="/" class="brand" aria-label="Weir dashboard">
          Weir
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => n.show(s)).map((n) => (
              <li key={n.href}>
                <Link href={n.href} aria-current={isCurrent(n.href, loc.path) ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="topbar-end">
          <StreamIndicator />
          {s.kind === 'signed-in' && (
            <>
              <span class="muted small" data-testid="signed-in-as">
                {s.user.email}
              </span>
              <button type="button" class="btn btn-plain btn-small" onClick={() => void logout()}>
                Sign out
              </button>
            </>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page path={loc.path} />
      </main>
    </>
  )
}
