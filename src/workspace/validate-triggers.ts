/**
 * Trigger checks that need the whole workspace or the scheduler (§6, §10.2): the target task, the
 * cron expression, the time zone, and a scheduler's input against the task's input schema.
 * Disabled triggers are checked the same way.
 */
import { validateInput } from './input-schema.ts'
import { checkCron, isValidTimezone } from '../scheduler/cron.ts'
import { didYouMean } from './did-you-mean.ts'
import type { TaskDraft, TriggerDraft } from './schema-types.ts'
import type { WorkspaceIssue } from './workspace.ts'
import { issueAt } from './yaml-source.ts'
import type { Site } from './yaml-source.ts'

function checkTaskRef(
  trigger: TriggerDraft,
  name: string,
  site: Site | null,
  tasks: ReadonlyMap<string, TaskDraft>,
): WorkspaceIssue[] {
  if (site === null || name === '' || tasks.has(name)) return []
  const hint = didYouMean(name, tasks.keys())
  const msg = `trigger '${trigger.def.name}' references unknown task '${name}'${hint}`
  return [issueAt(site, 'error', 'trigger-task', msg)]
}

function checkSchedule(trigger: TriggerDraft): WorkspaceIssue[] {
  const out: WorkspaceIssue[] = []
  const { cron, timezone } = trigger.def
  if (cron !== null && trigger.cronSite) {
    const checked = checkCron(cron)
    if (!checked.ok) out.push(issueAt(trigger.cronSite, 'error', 'cron', checked.message))
  }
  if (trigger.timezoneSite && !isValidTimezone(timezone)) {
    const msg = `unknown time zone '${timezone}' (use an IANA name such as 'Europe/Copenhagen')`
    out.push(issueAt(trigger.timezoneSite, 'error', 'timezone', msg))
  }
  return out
}

/** Scheduler input is used verbatim as the job input, so it must pass execute validation (§4.2). */
function checkInput(trigger: TriggerDraft, task: TaskDraft | undefined): WorkspaceIssue[] {
  if (trigger.def.type !== 'scheduler' || task === undefined) return []
  const checked = validateInput(task.def.input, task.def.declaresInput, trigger.def.input)
  if (checked.ok) return []
  const detail = checked.issues.map((i) => `${i.path}: ${i.message}`).join('; ')
  const msg = `invalid input for task '${task.def.name}': ${detail}`
  return [issueAt(trigger.inputSite ?? trigger.site, 'error', 'trigger-input', msg)]
}

/**
 * Strøm serves a webhook at `/hooks/<name>`, so two triggers of one workspace with the same
 * `name` would make that path ambiguous. (Across workspaces the request gets 409, API.md §10.)
 */
function checkWebhookNames(triggers: ReadonlyMap<string, TriggerDraft>): WorkspaceIssue[] {
  const first = new Map<string, string>()
  const out: WorkspaceIssue[] = []
  for (const t of triggers.values()) {
    const name = t.def.type === 'webhook' ? t.def.webhookName : null
    if (name === null || t.nameSite === null) continue
    const owner = first.get(name)
    if (owner === undefined) first.set(name, t.def.name)
    else {
      const msg = `webhook name '${name}' is already used by trigger '${owner}' (/hooks/${name} can serve only one)`
      out.push(issueAt(t.nameSite, 'error', 'trigger-field', msg))
    }
  }
  return out
}

export function validateTriggers(
  triggers: ReadonlyMap<string, TriggerDraft>,
  tasks: ReadonlyMap<string, TaskDraft>,
): WorkspaceIssue[] {
  const issues: WorkspaceIssue[] = []
  for (const trigger of triggers.values()) {
    issues.push(...checkTaskRef(trigger, trigger.def.task, trigger.taskSite, tasks))
    if (trigger.targetTask) {
      const { name, site } = trigger.targetTask
      issues.push(...checkTaskRef(trigger, name, site, tasks))
    }
    if (trigger.def.type === 'scheduler') issues.push(...checkSchedule(trigger))
    issues.push(...checkInput(trigger, tasks.get(trigger.def.task)))
  }
  issues.push(...checkWebhookNames(triggers))
  return issues
}
