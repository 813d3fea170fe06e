import type { Workspace } from '../workspace/workspace.ts'

/** The workspace's secret values (nested maps flattened): masked in job logs and API responses. */
export function secretValues(ws: Workspace | undefined): string[] {
  const out: string[] = []
  const walk = (v: unknown) => {
    if (typeof v === 'string') out.push(v)
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x)
  }
  if (ws) walk(ws.secrets)
  return out
}
