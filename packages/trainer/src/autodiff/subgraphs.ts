import type { GraphProto, NodeProto } from '@ortrain/graph-builder';

/** The subgraph attributes of a node (If's branches, Loop's and Scan's bodies). */
export function subgraphsOf(node: NodeProto): GraphProto[] {
  const out: GraphProto[] = [];
  for (const a of node.attribute ?? []) for (const g of [a.g, ...(a.graphs ?? [])]) if (g) out.push(g);
  return out;
}

/** Names a graph reads from the graphs around it (implicit inputs), each once, in order of first use. */
export function outerReads(g: GraphProto): string[] {
  const local = new Set<string>([...(g.input ?? []).map((i) => i.name!), ...(g.initializer ?? []).map((t) => t.name!)]);
  const reads: string[] = [];
  const seen = new Set<string>();
  const read = (name: string) => {
    if (!name || local.has(name) || seen.has(name)) return;
    seen.add(name);
    reads.push(name);
  };
  for (const n of g.node ?? []) {
    for (const i of n.input ?? []) read(i);
    for (const sub of subgraphsOf(n)) for (const r of outerReads(sub)) read(r);
    for (const o of n.output ?? []) if (o) local.add(o);
  }
  for (const o of g.output ?? []) read(o.name!);
  return reads;
}

/**
 * What a node reads: its inputs, then for a node with subgraphs the values of the enclosing graph its
 * subgraphs read. The autodiff treats those as inputs of the node (an If's gradient flows to them).
 */
export function inputsOf(node: NodeProto): string[] {
  const explicit = node.input ?? [];
  const subs = subgraphsOf(node);
  if (subs.length === 0) return explicit;
  const extra = new Set<string>();
  for (const s of subs) for (const r of outerReads(s)) if (!explicit.includes(r)) extra.add(r);
  return [...explicit, ...extra];
}
