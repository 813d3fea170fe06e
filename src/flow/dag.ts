/**
 * Pure graph queries over a task's `depends_on` edges, shared by the workspace validator and the
 * orchestrator. Every function ignores dependencies that name unknown steps (the validator reports
 * those separately as `unknown-dependency`), tolerates cycles, and orders names by UTF-16 code
 * units so results never depend on the host locale.
 */

export interface DagNode {
  readonly name: string
  readonly dependsOn: ReadonlyArray<string>
}

/**
 * Caps the cycles listed per strongly-connected component: a dense component has exponentially
 * many elementary cycles, and a diagnostic list of thousands helps nobody.
 */
export const MAX_CYCLES_PER_COMPONENT = 10

/** name -> its known dependencies, deduplicated and sorted. */
type Graph = ReadonlyMap<string, ReadonlyArray<string>>

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function comparePaths(a: ReadonlyArray<string>, b: ReadonlyArray<string>): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareNames(a[i]!, b[i]!)
    if (c !== 0) return c
  }
  return a.length - b.length
}

/** Duplicate node names are merged (their dependencies united), so lookups stay total. */
function buildGraph(nodes: ReadonlyArray<DagNode>): Graph {
  const known = new Set(nodes.map((n) => n.name))
  const deps = new Map<string, Set<string>>()
  for (const node of nodes) {
    const set = deps.get(node.name) ?? new Set<string>()
    deps.set(node.name, set)
    for (const dep of node.dependsOn) if (known.has(dep)) set.add(dep)
  }
  return new Map([...deps].map(([name, set]) => [name, [...set].sort(compareNames)]))
}

/** Tarjan's strongly-connected components of the subgraph induced by `allowed`. */
function stronglyConnected(graph: Graph, allowed: ReadonlySet<string>): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const onStack = new Set<string>()
  const stack: string[] = []
  const components: string[][] = []
  const visit = (v: string): void => {
    index.set(v, index.size)
    low.set(v, index.get(v)!)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!allowed.has(w)) continue
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!))
      }
    }
    if (low.get(v) !== index.get(v)) return
    const component: string[] = []
    for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
      onStack.delete(w)
      component.push(w)
      if (w === v) break
    }
    components.push(component)
  }
  for (const v of [...allowed].sort(compareNames)) if (!index.has(v)) visit(v)
  return components
}

/** Johnson's circuit search state for one start vertex. */
interface CircuitSearch {
  readonly graph: Graph
  readonly start: string
  readonly allowed: ReadonlySet<string>
  readonly blocked: Set<string>
  readonly blockedBy: Map<string, Set<string>>
  readonly path: string[]
  readonly found: string[][]
  readonly limit: number
}

function unblock(s: CircuitSearch, v: string): void {
  s.blocked.delete(v)
  const waiting = s.blockedBy.get(v)
  s.blockedBy.delete(v)
  for (const w of waiting ?? []) if (s.blocked.has(w)) unblock(s, w)
}

/** Self-loops are skipped here: findCycles reports them on their own, uncapped. */
function circuit(s: CircuitSearch, v: string): boolean {
  let closed = false
  s.path.push(v)
  s.blocked.add(v)
  const next = (s.graph.get(v) ?? []).filter((w) => w !== v && s.allowed.has(w))
  for (const w of next) {
    if (s.found.length >= s.limit) break
    if (w === s.start) {
      s.found.push([...s.path, s.start])
      closed = true
    } else if (!s.blocked.has(w) && circuit(s, w)) {
      closed = true
    }
  }
  if (closed) unblock(s, v)
  else for (const w of next) s.blockedBy.set(w, (s.blockedBy.get(w) ?? new Set()).add(v))
  s.path.pop()
  return closed
}

/**
 * Elementary cycles of one component, found from its members in name order over the subgraph of
 * members not smaller than the start, so each cycle is found once and begins at its smallest name.
 */
function componentCycles(graph: Graph, component: ReadonlyArray<string>): string[][] {
  const members = [...component].sort(compareNames)
  const found: string[][] = []
  for (let i = 0; i < members.length && found.length < MAX_CYCLES_PER_COMPONENT; i++) {
    const start = members[i]!
    const rest = new Set(members.slice(i))
    const own = stronglyConnected(graph, rest).find((c) => c.includes(start)) ?? []
    if (own.length < 2) continue
    const search: CircuitSearch = {
      graph,
      start,
      allowed: new Set(own),
      blocked: new Set(),
      blockedBy: new Map(),
      path: [],
      found,
      limit: MAX_CYCLES_PER_COMPONENT,
    }
    circuit(search, start)
  }
  return found
}

/**
 * Cycles in `depends_on`, each a path that follows "depends on" edges and closes on its start
 * (`['build', 'test', 'build']`: build depends on test, which depends on build). Reported: every
 * self-loop as `[a, a]`, and for each strongly-connected component of two or more steps its
 * elementary cycles, at most MAX_CYCLES_PER_COMPONENT of them (always at least one, through the
 * component's smallest name). Each cycle starts at its smallest name; the list is sorted.
 */
export function findCycles(nodes: ReadonlyArray<DagNode>): string[][] {
  const graph = buildGraph(nodes)
  const cycles: string[][] = []
  for (const [name, deps] of graph) if (deps.includes(name)) cycles.push([name, name])
  for (const component of stronglyConnected(graph, new Set(graph.keys()))) {
    if (component.length > 1) cycles.push(...componentCycles(graph, component))
  }
  return cycles.sort(comparePaths)
}

/** Transitive dependencies of `name`, excluding `name` itself even when it sits on a cycle. */
export function upstreamClosure(nodes: ReadonlyArray<DagNode>, name: string): Set<string> {
  const graph = buildGraph(nodes)
  const seen = new Set<string>()
  const todo = [...(graph.get(name) ?? [])]
  for (let dep = todo.pop(); dep !== undefined; dep = todo.pop()) {
    if (seen.has(dep)) continue
    seen.add(dep)
    todo.push(...(graph.get(dep) ?? []))
  }
  seen.delete(name)
  return seen
}

/** Dependants of every step (the reverse edges), each list sorted; steps without any map to []. */
export function dependantsOf(nodes: ReadonlyArray<DagNode>): Map<string, string[]> {
  const graph = buildGraph(nodes)
  const result = new Map<string, string[]>()
  for (const name of graph.keys()) result.set(name, [])
  for (const [name, deps] of graph) for (const dep of deps) result.get(dep)!.push(name)
  for (const list of result.values()) list.sort(compareNames)
  return result
}

/**
 * Kahn order (dependencies first), choosing the smallest name among runnable steps at each turn.
 * Steps on a cycle, or downstream of one, can never be placed and are appended in name order.
 */
export function topologicalOrder(nodes: ReadonlyArray<DagNode>): string[] {
  const graph = buildGraph(nodes)
  const dependants = dependantsOf(nodes)
  const waitingOn = new Map([...graph].map(([name, deps]) => [name, deps.length]))
  let ready = [...graph.keys()].filter((name) => waitingOn.get(name) === 0)
  const order: string[] = []
  while (ready.length > 0) {
    ready.sort(compareNames)
    const [next, ...rest] = ready as [string, ...string[]]
    ready = rest
    order.push(next)
    for (const d of dependants.get(next) ?? []) {
      const left = waitingOn.get(d)! - 1
      waitingOn.set(d, left)
      if (left === 0) ready.push(d)
    }
  }
  const placed = new Set(order)
  const stuck = [...graph.keys()].filter((name) => !placed.has(name)).sort(compareNames)
  return [...order, ...stuck]
}

/**
 * Steps no other step depends on, in name order: their outputs form the job output. A step that
 * depends only on itself is not a leaf (it has a dependant), though such a flow never validates.
 */
export function leafSteps(nodes: ReadonlyArray<DagNode>): string[] {
  const leaves: string[] = []
  for (const [name, dependants] of dependantsOf(nodes))
    if (dependants.length === 0) leaves.push(name)
  return leaves.sort(compareNames)
}
