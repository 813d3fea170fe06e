import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import {
  UI_WORKSPACE,
  execute,
  launchBrowser,
  requireChromium,
  shownSeqs,
  startServer,
  type Browser,
  type Server,
} from './harness.ts'

describe('web UI across a server restart', function () {
  this.timeout(120_000)
  let server: Server
  let browser: Browser
  let page: Page

  before(async function () {
    this.timeout(120_000)
    requireChromium(this)
    // Short leases: the step of the killed server is retried soon after the restart.
    server = await startServer({
      workspaces: { ui: UI_WORKSPACE },
      config: 'workers: { heartbeat_interval_secs: 1, lease_ttl_secs: 2, lost_after_secs: 2 }',
    })
    browser = await launchBrowser()
    page = await browser.newPage()
  })
  after(async () => {
    await browser?.close()
    await server?.dispose()
  })

  it('the open job page catches up after the server is killed and restarted, without a duplicate line', async () => {
    const marker = join(server.dir, 'marker')
    const id = await execute(server, 'ui', 'restartable', { marker })
    await page.goto(`${server.url}/jobs/${id}`)
    await page.locator('.log-row', { hasText: 'tick 3 (attempt 1)' }).waitFor()

    await server.stop('SIGKILL')
    await page.locator('[data-testid="log-stream-state"]', { hasText: 'reconnecting' }).waitFor()
    await server.restart()

    // The lost attempt is retried on the restarted server; its lines reach the same page.
    await page.locator('.log-row', { hasText: 'tick 2 (attempt 2)' }).waitFor({ timeout: 60_000 })
    writeFileSync(marker, '')
    await page.locator('.log-row', { hasText: 'marker found' }).waitFor({ timeout: 30_000 })
    await page.locator('.page-head .badge[data-status="completed"]').waitFor({ timeout: 30_000 })
    await page.locator('[data-testid="log-stream-state"]', { hasText: 'complete' }).waitFor()

    // Every line once, in order, with no gap: what the page shows is the whole stored log.
    const res = await fetch(`${server.url}/api/jobs/${id}/logs`)
    const { last_seq: lastSeq } = (await res.json()) as { last_seq: number }
    const seqs = (await shownSeqs(page)).sort((a, b) => a - b)
    expect(new Set(seqs).size).to.equal(seqs.length)
    expect(seqs).to.deep.equal(Array.from({ length: lastSeq }, (_, i) => i + 1))
  })
})
