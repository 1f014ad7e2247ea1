import type { GraphProto } from '@ortrain/graph-builder';

/**
 * The part of a graph that computes `outputs`: nodes, initializers and inputs nothing needed reads are
 * dropped. Node order is kept (it is already topological).
 */
export function pruneGraph(graph: GraphProto, outputs: string[]): GraphProto {
  const needed = new Set(outputs);
  const nodes = graph.node ?? [];
  const keep = new Array<boolean>(nodes.length).fill(false);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!(n.output ?? []).some((o) => needed.has(o))) continue;
    keep[i] = true;
    for (const inp of n.input ?? []) if (inp) needed.add(inp);
    // Subgraph bodies (If, Loop) read names of the enclosing graph.
    for (const a of n.attribute ?? []) for (const g of [a.g, ...(a.graphs ?? [])]) if (g) for (const name of outerReads(g)) needed.add(name);
  }
  const byName = new Map((graph.output ?? []).map((o) => [o.name!, o]));
  return {
    ...graph,
    node: nodes.filter((_, i) => keep[i]),
    input: (graph.input ?? []).filter((i) => needed.has(i.name!)),
    initializer: (graph.initializer ?? []).filter((t) => needed.has(t.name!)),
    output: outputs.map((name) => byName.get(name) ?? { name }),
    valueInfo: (graph.valueInfo ?? []).filter((v) => needed.has(v.name!)),
  };
}

function outerReads(g: GraphProto): string[] {
  const local = new Set<string>([...(g.input ?? []).map((i) => i.name!), ...(g.initializer ?? []).map((t) => t.name!)]);
  const reads: string[] = [];
  for (const n of g.node ?? []) {
    for (const i of n.input ?? []) if (i && !local.has(i)) reads.push(i);
    for (const a of n.attribute ?? []) for (const sub of [a.g, ...(a.graphs ?? [])]) if (sub) reads.push(...outerReads(sub).filter((r) => !local.has(r)));
    for (const o of n.output ?? []) local.add(o);
  }
  return reads;
}
