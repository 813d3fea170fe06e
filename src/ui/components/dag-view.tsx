/** A flow drawn as a DAG (automatic layout, lib/dag-layout.ts); nodes are coloured by status. */
import { useMemo } from 'preact/hooks'
import { layoutDag } from '../lib/dag-layout.ts'

export interface DagNode {
  readonly id: string
  readonly dependsOn: ReadonlyArray<string>
  readonly status?: string
  /** A second line: the action, or a loop's instance counts. */
  readonly detail?: string
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

export function DagView(props: {
  nodes: ReadonlyArray<DagNode>
  selected?: string | null
  onSelect?: (id: string) => void
  label: string
}) {
  const { nodes, onSelect } = props
  const shape = nodes.map((n) => `${n.id}<${n.dependsOn.join(',')}`).join(';')
  // The layout depends on the graph's shape only: status changes recolour, they do not move nodes.
  const layout = useMemo(() => layoutDag(nodes), [shape])
  const byId = new Map(nodes.map((n) => [n.id, n]))
  return (
    <div class="dag" role="group" aria-label={props.label}>
      <svg
        width={layout.width}
        height={layout.height}
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        role="presentation"
      >
        <defs>
          <marker
            id="dag-arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" class="dag-arrow" />
          </marker>
        </defs>
        {layout.edges.map((e) => (
          <polyline
            key={`${e.from}->${e.to}`}
            class="dag-edge"
            points={e.points.map((p) => `${p.x},${p.y}`).join(' ')}
            marker-end="url(#dag-arrow)"
          />
        ))}
        {layout.nodes.map((p) => {
          const n = byId.get(p.id)!
          const status = n.status ?? 'none'
          const label = `step ${n.id}${n.status ? `: ${n.status}` : ''}${n.detail ? ` (${n.detail})` : ''}`
          return (
            <g
              key={p.id}
              class={`dag-node status-${status} ${props.selected === p.id ? 'selected' : ''}`}
              data-step={p.id}
              data-status={status}
              transform={`translate(${p.x},${p.y})`}
              tabIndex={onSelect ? 0 : undefined}
              role={onSelect ? 'button' : 'img'}
              aria-label={label}
              aria-pressed={onSelect ? props.selected === p.id : undefined}
              onClick={() => onSelect?.(p.id)}
              onKeyDown={(ev) => {
                if (onSelect && (ev.key === 'Enter' || ev.key === ' ')) {
                  ev.preventDefault()
                  onSelect(p.id)
                }
              }}
            >
              <title>{label}</title>
              <rect width={p.width} height={p.height} rx="8" />
              <text x="12" y="20" class="dag-name">
                {clip(n.id, 22)}
              </text>
              <text x="12" y="37" class="dag-detail">
                {clip(n.detail ?? n.status ?? '', 26)}
              </text>
            </g>
          )
        })}
      </svg>
    </div>
  )
}
