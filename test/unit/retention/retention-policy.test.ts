import { expect } from 'chai'
import {
  describeReport,
  jobExpiries,
  workerCutoff,
  type RetentionSettings,
} from '../../../src/retention/retention-policy.ts'

const NOW = new Date('2026-06-30T12:00:00Z')
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000)
const settings = (s: Partial<RetentionSettings>): RetentionSettings => ({
  jobDays: 30,
  workerHours: 24,
  workspaces: {},
  ...s,
})

describe('retention policy', () => {
  it('has one rule for every workspace by default', () => {
    expect(jobExpiries(settings({}), NOW)).to.deep.equal([
      { scope: { except: [] }, days: 30, cutoff: daysAgo(30) },
    ])
  })

  it('gives each overridden workspace its own rule and takes it out of the default', () => {
    const s = settings({ workspaces: { prod: { jobDays: 90 }, ci: { jobDays: 2 } } })
    expect(jobExpiries(s, NOW)).to.deep.equal([
      { scope: { except: ['ci', 'prod'] }, days: 30, cutoff: daysAgo(30) },
      { scope: { only: 'ci' }, days: 2, cutoff: daysAgo(2) },
      { scope: { only: 'prod' }, days: 90, cutoff: daysAgo(90) },
    ])
  })

  it('keeps jobs forever with job_days 0, by default or per workspace', () => {
    const s = settings({ jobDays: 0, workspaces: { audit: { jobDays: 0 }, ci: { jobDays: 7 } } })
    expect(jobExpiries(s, NOW)).to.deep.equal([
      { scope: { only: 'ci' }, days: 7, cutoff: daysAgo(7) },
    ])
    const kept = settings({ workspaces: { audit: { jobDays: 0 } } })
    expect(jobExpiries(kept, NOW)).to.deep.equal([
      { scope: { except: ['audit'] }, days: 30, cutoff: daysAgo(30) },
    ])
  })

  it('cuts workers off after worker_hours, or never with 0', () => {
    expect(workerCutoff(settings({ workerHours: 24 }), NOW)).to.deep.equal(
      new Date('2026-06-29T12:00:00Z'),
    )
    expect(workerCutoff(settings({ workerHours: 0 }), NOW)).to.equal(null)
  })

  it('describes a pass in one line', () => {
    expect(
      describeReport({ jobs: 3, steps: 7, logFiles: 3, artifactJobs: 1, workers: 2 }),
    ).to.equal('3 jobs (7 steps, 3 log files, artifacts of 1 jobs), 2 workers')
    expect(
      describeReport({ jobs: 0, steps: 0, logFiles: 0, artifactJobs: 0, workers: 0 }),
    ).to.equal('0 jobs (0 steps, 0 log files), 0 workers')
  })
})
