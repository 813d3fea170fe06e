import { expect } from 'chai'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Page } from 'playwright-core'
import WebSocket from 'ws'
import { waitFor } from '../helpers/wait-for.ts'
import {
  EXAMPLE_WORKSPACE,
  UI_WORKSPACE,
  execute,
  launchBrowser,
  requireChromium,
  screenshot,
  startServer,
  type Browser,
  type Server,
} from './harness.ts'

/** The benchmark's log: its page reports time to first render and to the last line. */
const LINES = 100_000

const BROKEN_YAML = `tasks:
  broken:
    flow:
      only:
        action: no-such-action
`

describe('web UI in Chromium', function () {
  this.timeout(90_000)
  let server: Server
  let browser: Browser
  let page: Page
  let broken: string

  before(async function () {
    this.timeout(120_000)
    requireChromium(this)
    broken = mkdtempSync(join(tmpdir(), 'weir-broken-'))
    mkdirSync(join(broken, '.workflows'))
    writeFileSync(join(broken, '.workflows', 'broken.yaml'), BROKEN_YAML)
    server = await startServer({
      workspaces: { default: EXAMPLE_WORKSPACE, ui: UI_WORKSPACE, broken },
    })
    browser = await launchBrowser()
    page = await browser.newPage()
  })
  after(async () => {
    await browser?.close()
    await server?.dispose()
    if (broken) rmSync(broken, { recursive: true, force: true })
  })

  it('runs hello-world from its form: both DAG nodes turn green and its lines arrive', async () => {
    await page.goto(`${server.url}/tasks/default/hello-world`)
    const name = page.locator('#run-name')
    expect(await name.inputValue()).to.equal('World')
    await name.fill('Browser')
    await page.getByRole('button', { name: 'Run task' }).click()
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/)
    for (const step of ['build-greeting', 'shout-greeting'])
      await page.locator(`.dag-node[data-step="${step}"][data-status="completed"]`).waitFor()
    await page.locator('.log-row', { hasText: 'Hello, Browser!' }).first().waitFor()
    await page.locator('.log-row', { hasText: 'HELLO, BROWSER!' }).first().waitFor()
    await page.locator('.page-head .badge[data-status="completed"]').waitFor()
    await page.locator('[data-testid="log-stream-state"]', { hasText: 'complete' }).waitFor()
    // The DAG's green is the completed colour of the theme.
    const stroke = await page
      .locator('.dag-node[data-step="shout-greeting"] rect')
      .evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el).stroke)
    expect(stroke).to.equal('rgb(26, 127, 55)')
    await screenshot(page, 'job-page')
  })

  it('shows the API 400 at the fields it names', async () => {
    await page.goto(`${server.url}/tasks/default/deploy-service`)
    await page.locator('#run-replicas').fill('three')
    await page.getByRole('button', { name: 'Run task' }).click()
    const service = page.locator('[data-field="service"] .field-error')
    await service.waitFor()
    expect(await service.textContent()).to.equal('required field is missing')
    expect(await page.locator('[data-field="replicas"] .field-error').textContent()).to.equal(
      'expected integer, got string',
    )
    expect(await page.locator('#run-replicas').getAttribute('aria-invalid')).to.equal('true')
    expect(page.url()).to.match(/\/tasks\/default\/deploy-service$/)
    await screenshot(page, 'bad-input')
  })

  it('cancels a long job and sees it end', async () => {
    const id = await execute(server, 'default', 'slow-countdown', { seconds: 120 })
    await page.goto(`${server.url}/jobs/${id}`)
    await page.locator('.log-row', { hasText: 'tick 1/120' }).waitFor()
    await page.getByRole('button', { name: 'Cancel' }).click()
    await page.locator('.page-head .badge[data-status="cancelled"]').waitFor()
    await page.locator('.dag-node[data-step="count"][data-status="cancelled"]').waitFor()
    await page.locator('[data-testid="log-stream-state"]', { hasText: 'complete' }).waitFor()
  })

  it("shows a broken workspace's errors with file:line", async () => {
    await page.goto(`${server.url}/workspaces`)
    const item = page.locator('[data-workspace="broken"] .diagnostics li').first()
    await item.waitFor()
    expect(await item.textContent()).to.match(/broken\.yaml:5:\d+ .*no-such-action/)
    await screenshot(page, 'workspaces')
  })

  it('approves the release step with its field, and the job runs on', async () => {
    const id = await execute(server, 'default', 'release', { version: '9.9.9' })
    await page.goto(`${server.url}/jobs/${id}`)
    const card = page.locator('[data-testid="approval-card"]')
    await card.waitFor({ timeout: 45_000 })
    expect(await card.locator('.approval-message').textContent()).to.include('Release 9.9.9')
    // Approving without the required ticket is refused at the field.
    await card.getByRole('button', { name: 'Approve' }).click()
    await card.locator('[data-field="ticket"] .field-error').waitFor()
    await card.getByLabel('Change ticket').fill('CHG-7')
    await card.getByRole('button', { name: 'Approve' }).click()
    await page.locator('.dag-node[data-step="approve"][data-status="completed"]').waitFor()
    await page.locator('.page-head .badge[data-status="completed"]').waitFor({ timeout: 45_000 })
    expect(await page.locator('.dag-node[data-step="deploy"]').getAttribute('aria-label')).to.match(
      /3 completed/,
    )
    // Loop instances sit under their step, and the sub-task links to its child job.
    const rows = await page.$$eval('[data-testid="steps-table"] tbody tr', (trs) =>
      trs.map((tr) => tr.getAttribute('data-step')),
    )
    expect(rows.indexOf('deploy[0]')).to.equal(rows.indexOf('deploy') + 1)
    await page.getByRole('link', { name: 'child job of build' }).click()
    await page.locator('.lineage', { hasText: 'Sub-task of' }).waitFor()
  })

  it('renders ANSI colours and marks stderr lines', async () => {
    const id = await execute(server, 'ui', 'colours')
    await page.goto(`${server.url}/jobs/${id}`)
    const red = page.locator('.log-row .ansi-fg-1', { hasText: 'red' })
    await red.waitFor()
    expect(await page.locator('.log-row .ansi-bold.ansi-fg-2').textContent()).to.equal('bold green')
    const err = page.locator('.log-row[data-stream="stderr"]', { hasText: 'a warning' })
    await err.waitFor()
    expect(await err.locator('.log-stream-tag').textContent()).to.equal('stderr')
    // `_server` lines are shown apart from the step output.
    expect(
      await page.locator('.log-view[aria-label="Job log"] .log-row[data-step="_server"]').count(),
    ).to.equal(0)
    await page.locator('.log-view[aria-label="Server events"] .log-row').first().waitFor()
  })

  it("lists a job's artifacts with download links once the step stored them", async () => {
    const id = await execute(server, 'ui', 'report')
    await page.goto(`${server.url}/jobs/${id}`)
    const link = page.locator('[data-testid="artifacts"] a', { hasText: 'report.txt' })
    await link.waitFor()
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()])
    expect(download.suggestedFilename()).to.equal('report.txt')
  })

  it('lists new jobs and their status changes live on the jobs page', async () => {
    await page.goto(`${server.url}/jobs?workspace=default`)
    await page.locator('[data-testid="event-stream-state"]', { hasText: 'live' }).waitFor()
    const id = await execute(server, 'default', 'hello-world', { name: 'Live' })
    await page.locator(`tr[data-job="${id}"]`).waitFor()
    await page.locator(`tr[data-job="${id}"][data-status="completed"]`).waitFor()
  })

  it('follows the system colour scheme', async () => {
    await page.emulateMedia({ colorScheme: 'dark' })
    try {
      await page.goto(`${server.url}/`)
      await page.locator('[data-testid="stat-completed"] .stat-value', { hasText: /\d/ }).waitFor()
      const bg = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor')
      expect(bg).to.equal('rgb(13, 17, 23)')
      await screenshot(page, 'dashboard-dark')
    } finally {
      await page.emulateMedia({ colorScheme: 'light' })
    }
  })

  it('benchmark (reported, not asserted): time to first render and to the last line of a 100,000-line log', async function () {
    this.timeout(180_000)
    const id = await execute(server, 'ui', 'many-lines', { lines: LINES })
    await waitFor(
      async () => {
        const res = await fetch(`${server.url}/api/jobs/${id}`)
        return ((await res.json()) as { status: string }).status === 'completed'
      },
      { timeoutMs: 120_000, intervalMs: 200, what: 'the 100,000-line job to finish' },
    )
    // The same backfill read by a plain WebSocket client, for comparison.
    const wsStart = performance.now()
    const received = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/jobs/${id}/logs/stream`)
      let n = 0
      ws.on('message', () => n++)
      ws.on('close', () => resolve(n))
      ws.on('error', reject)
    })
    const wsBackfill = performance.now() - wsStart
    expect(received).to.equal(LINES + 5)

    const start = performance.now()
    await page.goto(`${server.url}/jobs/${id}`)
    await page.locator('.page-head .badge[data-status="completed"]').waitFor()
    const firstRender = performance.now() - start
    await page.locator('.log-row', { hasText: `line ${LINES}` }).waitFor({ timeout: 120_000 })
    const lastLine = performance.now() - start
    const lines = await page.locator('.log-view[aria-label="Job log"]').getAttribute('data-lines')
    expect(Number(lines)).to.equal(LINES)
    const rows = await page.locator('.log-view[aria-label="Job log"] .log-row').count()
    expect(rows).to.be.below(200)

    // Responsiveness: jump to the top of the virtualised list.
    const jumpStart = performance.now()
    await page.locator('.log-view[aria-label="Job log"]').evaluate((el) => el.scrollTo(0, 0))
    await page
      .locator('.log-view[aria-label="Job log"] .log-text', { hasText: /^line 1$/ })
      .waitFor()
    const jumpTop = performance.now() - jumpStart

    const report = {
      lines: LINES,
      ws_client_backfill_ms: Math.round(wsBackfill),
      first_render_ms: Math.round(firstRender),
      last_line_ms: Math.round(lastLine),
      scroll_to_top_ms: Math.round(jumpTop),
      rows_in_dom: rows,
    }
    process.stdout.write(`      benchmark: ${JSON.stringify(report)}\n`)
  })
})
