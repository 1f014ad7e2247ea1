// If, Loop and Scan in a model to differentiate. Before the backward pass: an If whose condition is known
// when the graph is built (constants, static shapes) is replaced by its branch; a Loop with a constant trip
// count and no early exit, and a Scan over a sequence of static length, are unrolled. What is left (an If on
// data, loops that cannot unroll) gets its output types from its subgraphs; the reason a loop could not
// unroll is kept for the error, should the gradient need to pass through it.
import { tensorFromArray, tensorToArray, unknownDim } from '@ortrain/graph-builder';
import type { Dim, GraphProto, NodeProto, TensorProto } from '@ortrain/graph-builder';
import { NodeAttrs, describeNode } from './attrs';
import { Info, ShapeTable } from './infer';
import { subgraphsOf } from './subgraphs';

/** Unrolled, a loop longer than this would make the graph too large to be worth it. */
export const MAX_UNROLL = 512;

export interface Expanded {
  nodes: NodeProto[];
  /** Loops and Scans left as they are (by their first output), with why they could not be unrolled. */
  blocked: Map<string, string>;
}

type Fresh = (base: string) => string;

/** Every name a graph and its subgraphs define or read (to make new names that collide with none). */
export function namesOf(g: GraphProto, into = new Set<string>()): Set<string> {
  for (const i of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) if (i.name) into.add(i.name);
  for (const t of g.initializer ?? []) if (t.name) into.add(t.name);
  for (const n of g.node ?? []) {
    for (const x of [...(n.input ?? []), ...(n.output ?? [])]) if (x) into.add(x);
    if (n.name) into.add(n.name);
    for (const s of subgraphsOf(n)) namesOf(s, into);
  }
  return into;
}

export function freshNames(taken: Set<string>): Fresh {
  return (base) => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };
}

export const graphAttr = (n: NodeProto, name: string): GraphProto | undefined => (n.attribute ?? []).find((a) => a.name === name)?.g ?? undefined;

/**
 * Infers every node in order, replacing Ifs with known conditions by their branch and unrolling the loops
 * that can be; nodes that come out of a branch or a loop body are processed the same way in their turn.
 */
export function expandControlFlow(nodes: readonly NodeProto[], table: ShapeTable, opset: number, fresh: Fresh): Expanded {
  const queue = [...nodes];
  const out: NodeProto[] = [];
  const blocked = new Map<string, string>();
  while (queue.length) {
    const n = queue.shift()!;
    const op = (n.domain ?? '') === '' || n.domain === 'ai.onnx' ? n.opType : undefined;
    let replacement: NodeProto[] | string | undefined;
    if (op === 'If') replacement = foldIf(n, table, fresh);
    else if (op === 'Loop') replacement = unrollLoop(n, table, fresh, opset);
    else if (op === 'Scan') replacement = unrollScan(n, table, fresh, opset);
    if (Array.isArray(replacement)) {
      queue.unshift(...replacement);
      continue;
    }
    if (typeof replacement === 'string') blocked.set(blockKey(n), replacement);
    inferAny(n, table);
    out.push(n);
  }
  return { nodes: out, blocked };
}

/** Infers a node's outputs; for If, Loop and Scan from their subgraphs. */
export function inferAny(n: NodeProto, table: ShapeTable): void {
  const op = n.opType;
  if ((op !== 'If' && op !== 'Loop' && op !== 'Scan') || (n.domain && n.domain !== 'ai.onnx')) {
    table.inferNode(n);
    return;
  }
  const infos = op === 'If' ? inferIf(n, table) : op === 'Loop' ? inferLoop(n, table) : inferScan(n, table);
  (n.output ?? []).forEach((o, i) => { if (o) table.set(o, infos[i] ?? {}); });
}

/** The infos of a subgraph's outputs, given its inputs' infos. */
function inferGraph(g: GraphProto, table: ShapeTable, inputs: Info[]): Info[] {
  const child = table.child(ShapeTable.hintsFrom([...(g.valueInfo ?? []), ...(g.output ?? []), ...(g.input ?? [])]));
  (g.input ?? []).forEach((i, k) => child.set(i.name!, inputs[k] ?? {}));
  for (const t of g.initializer ?? []) child.addTensor(t);
  for (const n of g.node ?? []) inferAny(n, child);
  return (g.output ?? []).map((o) => child.get(o.name!) ?? {});
}

function unite(a: Info | undefined, b: Info | undefined): Info {
  if (!a) return b ?? {};
  if (!b) return a;
  const dtype = a.dtype ?? b.dtype;
  if (!a.shape || !b.shape || a.shape.length !== b.shape.length) return { dtype };
  return { dtype, shape: a.shape.map((d, i) => (d === b.shape![i] ? d : unknownDim())) };
}

function inferIf(n: NodeProto, table: ShapeTable): Info[] {
  const then = graphAttr(n, 'then_branch'), other = graphAttr(n, 'else_branch');
  const a = then ? inferGraph(then, table, []) : [];
  const b = other ? inferGraph(other, table, []) : [];
  return (n.output ?? []).map((_, i) => unite(a[i], b[i]));
}

function inferLoop(n: NodeProto, table: ShapeTable): Info[] {
  const body = graphAttr(n, 'body');
  const ins = n.input ?? [];
  const carried = ins.slice(2).map((x) => table.get(x) ?? {});
  if (!body) return [];
  const outs = inferGraph(body, table, [{ dtype: 'int64', shape: [] }, { dtype: 'bool', shape: [] }, ...carried]);
  const N = carried.length;
  return (n.output ?? []).map((_, i) => {
    if (i < N) return unite(carried[i], outs[1 + i]);
    const e = outs[1 + i];
    return { dtype: e?.dtype, shape: e?.shape ? [unknownDim(), ...e.shape] : undefined };
  });
}

function inferScan(n: NodeProto, table: ShapeTable): Info[] {
  const body = graphAttr(n, 'body');
  if (!body) return [];
  const a = new NodeAttrs(n);
  const ins = n.input ?? [];
  const M = a.int('num_scan_inputs', 0);
  const N = ins.length - M;
  const inAxes = a.ints('scan_input_axes') ?? [];
  const states = ins.slice(0, N).map((x) => table.get(x) ?? {});
  const elements = ins.slice(N).map((x, j): Info => {
    const info = table.get(x);
    if (!info?.shape) return { dtype: info?.dtype };
    const ax = norm(inAxes[j] ?? 0, info.shape.length);
    return { dtype: info.dtype, shape: info.shape.filter((_, i) => i !== ax) };
  });
  const first = table.get(ins[N] ?? '')?.shape;
  const length: Dim = first ? first[norm(inAxes[0] ?? 0, first.length)] ?? unknownDim() : unknownDim();
  const outs = inferGraph(body, table, [...states, ...elements]);
  const outAxes = a.ints('scan_output_axes') ?? [];
  return (n.output ?? []).map((_, i) => {
    if (i < N) return unite(states[i], outs[i]);
    const e = outs[i];
    if (!e?.shape) return { dtype: e?.dtype };
    const shape = [...e.shape];
    shape.splice(norm(outAxes[i - N] ?? 0, shape.length + 1), 0, length);
    return { dtype: e.dtype, shape };
  });
}

const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

// ---- rewriting ----

/**
 * Copies a subgraph's nodes into the enclosing graph: its inputs read `bindings`, everything it defines
 * (nested subgraphs included) gets a fresh name, its initializers become Constant nodes. Returns the nodes
 * and the names its outputs now have.
 */
export function inlineGraph(g: GraphProto, bindings: Map<string, string>, fresh: Fresh, prefix: string): { nodes: NodeProto[]; outputs: string[] } {
  const map = new Map(bindings);
  const nodes: NodeProto[] = [];
  for (const t of g.initializer ?? []) {
    const name = fresh(`${prefix}/${t.name}`);
    map.set(t.name!, name);
    nodes.push(constantNode(name, t));
  }
  for (const n of g.node ?? []) nodes.push(renamed(n, map, fresh, prefix));
  return { nodes, outputs: (g.output ?? []).map((o) => map.get(o.name!) ?? o.name!) };
}

function renamed(n: NodeProto, map: Map<string, string>, fresh: Fresh, prefix: string): NodeProto {
  const input = (n.input ?? []).map((x) => (x ? map.get(x) ?? x : x));
  const attribute = (n.attribute ?? []).map((a) => {
    if (a.g) return { ...a, g: renamedGraph(a.g, map, fresh, prefix) };
    if (a.graphs?.length) return { ...a, graphs: a.graphs.map((s) => renamedGraph(s, map, fresh, prefix)) };
    return a;
  });
  const output = (n.output ?? []).map((o) => {
    if (!o) return o;
    const name = fresh(`${prefix}/${o}`);
    map.set(o, name);
    return name;
  });
  return { ...n, name: fresh(`${prefix}/${n.name || n.opType}`), input, output, attribute };
}

/** A nested subgraph with every name it defines made fresh, and the names it reads from outside mapped. */
function renamedGraph(g: GraphProto, outer: Map<string, string>, fresh: Fresh, prefix: string): GraphProto {
  const map = new Map(outer);
  const def = (name: string) => { const f = fresh(`${prefix}/${name}`); map.set(name, f); return f; };
  const input = (g.input ?? []).map((i) => ({ ...i, name: def(i.name!) }));
  const initializer = (g.initializer ?? []).map((t) => ({ ...t, name: def(t.name!) }));
  const node = (g.node ?? []).map((n) => renamed(n, map, fresh, prefix));
  const rename = (name: string) => map.get(name) ?? name;
  return {
    ...g, input, initializer, node,
    output: (g.output ?? []).map((o) => ({ ...o, name: rename(o.name!) })),
    valueInfo: (g.valueInfo ?? []).filter((v) => map.has(v.name!)).map((v) => ({ ...v, name: rename(v.name!) })),
  };
}

function constantNode(name: string, t: TensorProto): NodeProto {
  return { opType: 'Constant', name, input: [], output: [name], attribute: [{ name: 'value', type: 4, t: { ...t, name: undefined } }] };
}

function scalarNode(fresh: Fresh, base: string, dtype: 'int64' | 'bool', value: number): NodeProto {
  const name = fresh(base);
  return constantNode(name, tensorFromArray(name, dtype, [], dtype === 'int64' ? [BigInt(value)] : [value]));
}

const identity = (fresh: Fresh, from: string, to: string): NodeProto => ({ opType: 'Identity', name: fresh(`${to}/identity`), input: [from], output: [to] });

/** Unsqueeze in the form of the model's opset (axes as an attribute before 13, an input from 13). */
function unsqueeze(fresh: Fresh, x: string, axis: number, opset: number, out: NodeProto[]): string {
  const y = fresh(`${x}/unsqueezed`);
  if (opset >= 13) {
    const axes = fresh(`${x}/axes`);
    out.push(constantNode(axes, tensorFromArray(axes, 'int64', [1], [BigInt(axis)])));
    out.push({ opType: 'Unsqueeze', name: fresh(`${y}/node`), input: [x, axes], output: [y] });
  } else {
    out.push({ opType: 'Unsqueeze', name: fresh(`${y}/node`), input: [x], output: [y], attribute: [{ name: 'axes', type: 7, ints: [axis] }] });
  }
  return y;
}

/** The values of each step's scan output stacked along `axis` into `to`. */
function stack(fresh: Fresh, parts: string[], axis: number, to: string, opset: number, out: NodeProto[]): void {
  const expanded = parts.map((p) => unsqueeze(fresh, p, axis, opset, out));
  if (expanded.length === 1) out.push(identity(fresh, expanded[0], to));
  else out.push({ opType: 'Concat', name: fresh(`${to}/concat`), input: expanded, output: [to], attribute: [{ name: 'axis', type: 2, i: axis }] });
}

function foldIf(n: NodeProto, table: ShapeTable, fresh: Fresh): NodeProto[] | undefined {
  const cond = table.values(n.input?.[0]);
  if (!cond || cond.length !== 1 || typeof cond[0] !== 'number') return undefined;
  const branch = graphAttr(n, cond[0] ? 'then_branch' : 'else_branch');
  if (!branch) return undefined;
  const { nodes, outputs } = inlineGraph(branch, new Map(), fresh, n.name || n.output?.[0] || 'If');
  (n.output ?? []).forEach((o, i) => { if (o) nodes.push(identity(fresh, outputs[i], o)); });
  return nodes;
}

function unrollLoop(n: NodeProto, table: ShapeTable, fresh: Fresh, opset: number): NodeProto[] | string {
  const body = graphAttr(n, 'body');
  const ins = n.input ?? [];
  if (!body) return 'it has no body';
  if (!ins[0]) return 'it has no trip count (it runs until its condition turns false)';
  const count = table.ints(ins[0]);
  if (!count || count.length !== 1) return `its trip count '${ins[0]}' is not known when the graph is built`;
  let trips = count[0];
  if (ins[1]) {
    const c = table.values(ins[1]);
    if (!c || typeof c[0] !== 'number') return `its initial condition '${ins[1]}' is not known when the graph is built`;
    if (!c[0]) trips = 0;
  }
  const bodyIns = (body.input ?? []).map((i) => i.name!);
  const condOut = body.output?.[0]?.name;
  if (!condOut || !passesCondition(body, bodyIns[1], condOut, table)) return 'it can stop early: its body computes its condition';
  if (trips > MAX_UNROLL) return `its trip count ${trips} is more than ${MAX_UNROLL}, too many steps to unroll`;
  const N = ins.length - 2;
  const K = (body.output ?? []).length - 1 - N;
  if (trips === 0 && K > 0) return 'it runs zero times and has scan outputs (empty tensors of unknown shape)';
  const prefix = n.name || n.output?.[0] || 'Loop';
  const nodes: NodeProto[] = [];
  let state = ins.slice(2);
  const scans: string[][] = Array.from({ length: K }, () => []);
  for (let i = 0; i < trips; i++) {
    const iter = scalarNode(fresh, `${prefix}/iter${i}/i`, 'int64', i);
    const yes = scalarNode(fresh, `${prefix}/iter${i}/cond`, 'bool', 1);
    nodes.push(iter, yes);
    const bind = new Map<string, string>([[bodyIns[0], iter.output![0]], [bodyIns[1], yes.output![0]]]);
    state.forEach((s, k) => bind.set(bodyIns[2 + k], s));
    const step = inlineGraph(body, bind, fresh, `${prefix}/iter${i}`);
    nodes.push(...step.nodes);
    state = step.outputs.slice(1, 1 + N);
    step.outputs.slice(1 + N).forEach((s, k) => scans[k].push(s));
  }
  (n.output ?? []).forEach((o, i) => {
    if (!o) return;
    if (i < N) nodes.push(identity(fresh, state[i], o));
    else stack(fresh, scans[i - N], 0, o, opset, nodes);
  });
  return nodes;
}

/**
 * Whether a Loop body's condition output is its condition input passed on unchanged, or a constant true
 * (torch's exporter passes the Loop's own constant condition): no early exit.
 */
function passesCondition(body: GraphProto, condIn: string, condOut: string, table: ShapeTable): boolean {
  let name = condOut;
  for (;;) {
    if (name === condIn) return true;
    const p = (body.node ?? []).find((x) => x.output?.includes(name));
    if (!p) {
      const outer = table.values(name);
      return !!outer && outer.length === 1 && outer[0] === 1;
    }
    if (p.opType === 'Identity') { name = p.input![0]; continue; }
    if (p.opType === 'Constant') {
      const t = new NodeAttrs(p).tensor('value');
      return !!t && Number((tensorToArray(t) as ArrayLike<number | bigint>)[0]) === 1;
    }
    return false;
  }
}

function unrollScan(n: NodeProto, table: ShapeTable, fresh: Fresh, opset: number): NodeProto[] | string {
  const body = graphAttr(n, 'body');
  if (!body) return 'it has no body';
  if (opset < 9) return 'Scan before opset 9 (with sequence_lens) is not supported';
  const a = new NodeAttrs(n);
  const ins = n.input ?? [];
  const M = a.int('num_scan_inputs', 0);
  const N = ins.length - M;
  const inAxes = a.ints('scan_input_axes') ?? [];
  const inDirs = a.ints('scan_input_directions') ?? [];
  const outAxes = a.ints('scan_output_axes') ?? [];
  const outDirs = a.ints('scan_output_directions') ?? [];
  let length: number | undefined;
  for (let j = 0; j < M; j++) {
    const s = table.get(ins[N + j])?.shape;
    const d = s ? s[norm(inAxes[j] ?? 0, s.length)] : undefined;
    if (typeof d !== 'number') return `the length of its sequence (axis ${inAxes[j] ?? 0} of '${ins[N + j]}') is not known when the graph is built`;
    length = d;
  }
  if (length === undefined) return 'it has no scan inputs';
  if (length > MAX_UNROLL) return `its sequence length ${length} is more than ${MAX_UNROLL}, too many steps to unroll`;
  const bodyIns = (body.input ?? []).map((i) => i.name!);
  const K = (body.output ?? []).length - N;
  if (length === 0 && K > 0) return 'its sequence is empty and it has scan outputs';
  const prefix = n.name || n.output?.[0] || 'Scan';
  const nodes: NodeProto[] = [];
  let state = ins.slice(0, N);
  const scans: string[][] = Array.from({ length: K }, () => []);
  for (let t = 0; t < length; t++) {
    const bind = new Map<string, string>();
    state.forEach((s, k) => bind.set(bodyIns[k], s));
    for (let j = 0; j < M; j++) {
      const x = ins[N + j];
      const rank = table.get(x)!.shape!.length;
      const index = scalarNode(fresh, `${prefix}/step${t}/index${j}`, 'int64', inDirs[j] ? length - 1 - t : t);
      const element = fresh(`${prefix}/step${t}/element${j}`);
      nodes.push(index, { opType: 'Gather', name: fresh(`${element}/gather`), input: [x, index.output![0]], output: [element],
        attribute: [{ name: 'axis', type: 2, i: norm(inAxes[j] ?? 0, rank) }] });
      bind.set(bodyIns[N + j], element);
    }
    const step = inlineGraph(body, bind, fresh, `${prefix}/step${t}`);
    nodes.push(...step.nodes);
    state = step.outputs.slice(0, N);
    step.outputs.slice(N).forEach((s, k) => scans[k].push(s));
  }
  (n.output ?? []).forEach((o, i) => {
    if (!o) return;
    if (i < N) { nodes.push(identity(fresh, state[i], o)); return; }
    const k = i - N;
    const parts = outDirs[k] ? [...scans[k]].reverse() : scans[k];
    stack(fresh, parts, outAxes[k] ?? 0, o, opset, nodes);
  });
  return nodes;
}

/** How `blocked` names a node: its first output (unique; nodes are copied on the way). */
export const blockKey = (n: NodeProto) => n.output?.[0] || n.name || '';

export const describeBlocked = (n: NodeProto, why: string) => `${describeNode(n)}: cannot differentiate through this ${n.opType}: ${why}`;
