import { expect } from 'chai'
import type { Page } from 'playwright-core'
import {
  execute,
  launchBrowser,
  requireChromium,
  screenshot,
  startServer,
  type Browser,
  type Server,
} from './harness.ts'

const ADMIN = { email: 'admin@example.com', password: 'browser-admin-password' }

describe('web UI with auth on', function () {
  this.timeout(90_000)
  let server: Server
  let browser: Browser
  let page: Page

  before(async function () {
    this.timeout(120_000)
    requireChromium(this)
    server = await startServer({
      config: [
        'auth:',
        '  jwt_secret: browser-test-jwt-secret-0123456789',
        `  initial_user: { email: ${ADMIN.email}, password: ${ADMIN.password} }`,
      ].join('\n'),
    })
    browser = await launchBrowser()
    page = await browser.newPage()
  })
  after(async () => {
    await browser?.close()
    await server?.dispose()
  })

  it('shows the login page, refuses a wrong password, and signs in', async () => {
    await page.goto(`${server.url}/jobs`)
    await page.getByRole('heading', { name: 'Sign in to Weir' }).waitFor()
    await page.getByLabel('Email').fill(ADMIN.email)
    await page.getByLabel('Password').fill('not-the-password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.locator('.notice-error', { hasText: 'invalid email or password' }).waitFor()
    await page.getByLabel('Password').fill(ADMIN.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.locator('[data-testid="signed-in-as"]', { hasText: ADMIN.email }).waitFor()
    await page.getByRole('heading', { name: 'Jobs' }).waitFor()
    // The streams authenticate with the in-memory token too.
    await page.locator('[data-testid="event-stream-state"]', { hasText: 'live' }).waitFor()
  })

  it('keeps no token in storage: the refresh token is an HttpOnly cookie, and a reload resumes', async () => {
    const storage = await page.evaluate<string>(
      'JSON.stringify([Object.keys(localStorage), Object.keys(sessionStorage), document.cookie])',
    )
    expect(storage).to.equal('[[],[],""]')
    const cookies = await browser.context.cookies(`${server.url}/api/auth/refresh`)
    const refresh = cookies.find((c) => c.name === 'weir_refresh')
    expect(refresh).to.include({ httpOnly: true, sameSite: 'Strict', path: '/api/auth' })
    await page.reload()
    await page.locator('[data-testid="signed-in-as"]', { hasText: ADMIN.email }).waitFor()
    await page.getByRole('link', { name: 'Audit' }).click()
    await page
      .locator('[data-testid="audit-table"] td', { hasText: 'auth.login' })
      .first()
      .waitFor()
  })

  it('downloads an artifact with the in-memory token', async () => {
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(ADMIN),
    })
    const { access_token: token } = (await login.json()) as { access_token: string }
    const id = await execute(server, 'ui', 'report', {}, { Authorization: `Bearer ${token}` })
    await page.goto(`${server.url}/jobs/${id}`)
    const link = page.locator('[data-testid="artifacts"] a', { hasText: 'report.txt' })
    await link.waitFor()
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()])
    expect(download.suggestedFilename()).to.equal('report.txt')
  })

  it('creates an API key and shows it once', async () => {
    await page.getByRole('link', { name: 'API keys' }).click()
    await page.getByLabel('Name').fill('ci')
    await page.getByRole('button', { name: 'Create key' }).click()
    const key = await page.locator('[data-testid="new-api-key"]').textContent()
    expect(key).to.match(/^weir_/)
    await screenshot(page, 'api-keys')
  })

  it('signs out: the cookie is cleared and a reload shows the login page', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in to Weir' }).waitFor()
    const cookies = await browser.context.cookies(`${server.url}/api/auth/refresh`)
    expect(cookies.find((c) => c.name === 'weir_refresh')).to.equal(undefined)
    await page.reload()
    await page.getByRole('heading', { name: 'Sign in to Weir' }).waitFor()
  })
})
