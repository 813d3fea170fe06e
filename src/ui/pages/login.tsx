/** Sign in with email and password (GET /api/config said auth is required). */
import { useState } from 'preact/hooks'
import { login } from '../data/session.ts'
import { Button } from '../components/ui.tsx'

export function LoginPage({ message }: { message?: string }) {
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  return (
    <main id="main" class="login">
      <form
        class="card login-card"
        aria-labelledby="login-title"
        onSubmit={(ev) => {
          ev.preventDefault()
          setBusy(true)
          setError(null)
          void login(email, password).then((err) => {
            setBusy(false)
            setError(err)
          })
        }}
      >
        <h1 id="login-title">Sign in to Weir</h1>
        {message && !error && <p class="notice">{message}</p>}
        <div class="field">
          <label for="login-email">Email</label>
          <input
            id="login-email"
            type="email"
            autocomplete="username"
            required
            value={email}
            onInput={(ev) => setEmail(ev.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="login-password">Password</label>
          <input
            id="login-password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(ev) => setPassword(ev.currentTarget.value)}
          />
        </div>
        {error && (
          <p class="notice notice-error" role="alert">
            {error}
          </p>
        )}
        <Button type="submit" variant="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </Button>
      </form>
    </main>
  )
}
