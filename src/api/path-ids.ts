/** Ids in paths (API.md §1.3): a malformed one gets 400 before any lookup. */
import { BadRequestError } from '../shared/errors.ts'
import { isUuid } from '../shared/ids.ts'

function uuidOf(kind: 'job' | 'worker' | 'user', raw: string | undefined): string {
  if (raw === undefined || !isUuid(raw))
    throw new BadRequestError(`invalid ${kind} id '${raw ?? ''}'`, `${kind}_id`)
  return raw
}

export function parseJobId(raw: string | undefined): string {
  return uuidOf('job', raw)
}

export function parseWorkerId(raw: string | undefined): string {
  return uuidOf('worker', raw)
}

export function parseUserId(raw: string | undefined): string {
  return uuidOf('user', raw)
}
