/** Positions for a DAG drawing: nodes ranked left to right by dagre, edges as polylines. */
import dagre, { type EdgeLabel, type GraphLabel, type NodeLabel } from '@dagrejs/dagre'

export interface DagInput {
  readonly id: string
  readonly dependsOn: ReadonlyArray<string>
}

export interface PlacedNode {
  readonly id: string
  readonly x: number
  readonly y: number
  readonly width: number
  readonly height: number
}

export interface PlacedEdge {
  readonly from: string
  readonly to: string
  readonly points: ReadonlyArray<{ x: number; y: number }>
}

export interface DagLayout {
  readonly nodes: PlacedNode[]
  readonly edges: PlacedEdge[]
  readonly width: number
  readonly height: number
}

export const NODE_WIDTH = 176
export const NODE_HEIGHT = 48

export function layoutDag(steps: ReadonlyArray<DagInput>): DagLayout {
  const g = new dagre.graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>()
  g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 56, marginx: 8, marginy: 8 })
  g.setDefaultEdgeLabel(() => ({}))
  const ids = new Set(steps.map((s) => s.id))
  for (const s of steps) g.setNode(s.id, { width: NODE_WIDTH, height: NODE_HEIGHT })
  for (const s of steps) for (const d of s.dependsOn) if (ids.has(d)) g.setEdge(d, s.id)
  dagre.layout(g)
  const nodes = steps.map((s) => {
    const n = g.node(s.id)
    return {
      id: s.id,
      x: (n.x ?? 0) - NODE_WIDTH / 2,
      y: (n.y ?? 0) - NODE_HEIGHT / 2,
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
    }
  })
  const edges = g.edges().map((e) => ({
    from: e.v,
    to: e.w,
    points: (g.edge(e).points ?? []).map((p) => ({ x: p.x, y: p.y })),
  }))
  const graph = g.graph()
  return { nodes, edges, width: graph.width ?? 0, height: graph.height ?? 0 }
}
