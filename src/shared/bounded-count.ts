/**
 * A list's total as the API reports it: exact up to a threshold, above it an estimate that says
 * it is one (X-Total-Count-Estimated: true), so a list of a million jobs never counts them all.
 */
export interface BoundedCount {
  readonly total: number
  /** True when `total` is the database planner's estimate rather than a count. */
  readonly estimated: boolean
}
