/** Every operation the API serves, and the reply shapes the document names as components. */
import type { z } from 'zod'
import { apiKeyDto, auditDto, userDto } from '../account-dto.ts'
import { taskDetailDto, taskSummaryDto, triggerDto, workspaceDto } from '../dto.ts'
import { jobDetailDto, jobSummaryDto, stepDto } from '../job-dto.ts'
import { workerDetailDto, workerDto } from '../worker-dto.ts'
import { accountOperations } from './accounts.operations.ts'
import { fileOperations } from './files.operations.ts'
import { jobOperations } from './jobs.operations.ts'
import type { OperationSpec } from './operation-spec.ts'
import { serverOperations } from './server.operations.ts'
import { webhookOperations } from './webhooks.operations.ts'
import { workerOperations } from './workers.operations.ts'
import { workspaceOperations } from './workspaces.operations.ts'

/** Server settings a schema depends on (the longest claim wait). */
export interface OperationSettings {
  readonly maxClaimWaitSecs: number
}

export function apiOperations(settings: OperationSettings): ReadonlyArray<OperationSpec> {
  return [
    ...serverOperations,
    ...workspaceOperations,
    ...jobOperations,
    ...fileOperations,
    ...webhookOperations,
    ...workerOperations(settings.maxClaimWaitSecs),
    ...accountOperations,
  ]
}

export const API_COMPONENTS: ReadonlyArray<readonly [string, z.ZodType]> = [
  ['Workspace', workspaceDto],
  ['TaskSummary', taskSummaryDto],
  ['TaskDetail', taskDetailDto],
  ['Trigger', triggerDto],
  ['JobSummary', jobSummaryDto],
  ['JobDetail', jobDetailDto],
  ['Step', stepDto],
  ['Worker', workerDto],
  ['WorkerDetail', workerDetailDto],
  ['User', userDto],
  ['ApiKey', apiKeyDto],
  ['AuditEntry', auditDto],
]
