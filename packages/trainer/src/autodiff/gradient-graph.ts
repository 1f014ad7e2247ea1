// Reverse-mode autodiff of an ONNX model: the forward graph is imported into a GraphBuilder (trainable
// initializers become graph inputs), the loss is appended, and a backward pass over the topologically sorted
// nodes emits each op's gradient rule, summing the contributions of values used more than once.
import {
  GraphBuilder, Value, float16ToFloat32, fromOnnxDataType, isFloatType, tensorToArray,
} from '@ortrain/graph-builder';
import type { DType, Dim, GraphProto, ModelProto, NodeProto, TensorProto } from '@ortrain/graph-builder';
import { emitForward } from './emit';
import { describeNode } from './attrs';
import { liftConstants } from './constants';
import { GradContext, fillValue } from './context';
import type { BackwardPass, GradRule } from './context';
import { blockKey, describeBlocked, expandControlFlow, freshNames, namesOf } from './control-flow';
import { ifGradient } from './if-gradient';
import { ShapeTable, isStatic } from './infer';
import { GRADIENT_RULES, NO_GRADIENT } from './rules';
import { inputsOf, subgraphsOf } from './subgraphs';
import { TensorSource, chooseTrainable, nothingTrainable } from './trainable';
import type { GradientGraph, GradientGraphOptions, GradientParam } from './types';
import { upgradeNodes } from './upgrade';

const ONNX_DOMAINS = new Set(['', 'ai.onnx']);

/** The rule for a node, or undefined for ops we cannot differentiate. */
function ruleOf(node: NodeProto): GradRule | undefined {
  if (!ONNX_DOMAINS.has(node.domain ?? '')) return undefined;
  return GRADIENT_RULES[node.opType ?? ''];
}

function isNoGradient(node: NodeProto): boolean {
  return ONNX_DOMAINS.has(node.domain ?? '') && NO_GRADIENT.has(node.opType ?? '');
}

const isIf = (node: NodeProto) => node.opType === 'If' && ONNX_DOMAINS.has(node.domain ?? '');

/** The inputs of a node (with what its subgraphs read, see inputsOf) that a gradient can flow through. */
function differentiableInputs(node: NodeProto, table: ShapeTable): number[] {
  if (isNoGradient(node)) return [];
  const rule = ruleOf(node);
  const out: number[] = [];
  inputsOf(node).forEach((name, i) => {
    if (!name || rule?.nondiff?.includes(i) || (isIf(node) && i === 0)) return;
    const dtype = table.get(name)?.dtype;
    if (dtype && !isFloatType(dtype)) return;
    out.push(i);
  });
  return out;
}

/** Nodes in an order where every value is produced before it is used (ONNX requires it; we check). */
function topoSort(nodes: NodeProto[], available: Set<string>): NodeProto[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && producer.set(o, i)));
  const state = new Array(nodes.length).fill(0);
  const order: NodeProto[] = [];
  const visit = (i: number) => {
    if (state[i] === 2) return;
    if (state[i] === 1) throw new RangeError(`${describeNode(nodes[i])}: the graph has a cycle`);
    state[i] = 1;
    for (const inp of inputsOf(nodes[i])) {
      if (!inp || available.has(inp)) continue;
      const p = producer.get(inp);
      if (p === undefined && subgraphsOf(nodes[i]).length && !(nodes[i].input ?? []).includes(inp)) continue;
      if (p === undefined) throw new RangeError(`${describeNode(nodes[i])}: input '${inp}' is not produced by any node, input or initializer`);
      visit(p);
    }
    state[i] = 2;
    order.push(nodes[i]);
  };
  nodes.forEach((_, i) => visit(i));
  return order;
}

function toFloat32(t: TensorProto): Float32Array {
  const data = tensorToArray(t);
  if (data instanceof Float32Array) return data;
  if (fromOnnxDataType(t.dataType ?? 0) === 'float16') return Float32Array.from(data as Uint16Array, float16ToFloat32);
  return Float32Array.from(data as Float64Array);
}

function opsetOf(model: ModelProto): number {
  const entry = (model.opsetImport ?? []).find((o) => ONNX_DOMAINS.has(o.domain ?? ''));
  return entry?.version ?? 1;
}

/** The model's graph as the autodiff reads it: Constants lifted, nodes sorted, control flow expanded, types inferred. */
function importGraph(model: ModelProto) {
  const graph = model.graph!;
  const modelOpset = opsetOf(model);
  // Float Constants (weights, for some exporters) are imported as initializers: they can train like them.
  const { nodes: graphNodes, tensors: lifted } = liftConstants(graph.node ?? []);
  const initializers = new Map<string, TensorProto>();
  const sources = new Map<string, TensorSource>();
  for (const t of graph.initializer ?? []) { initializers.set(t.name!, t); sources.set(t.name!, 'initializer'); }
  for (const t of lifted) { initializers.set(t.name!, t); sources.set(t.name!, 'Constant'); }
  if ((graph.sparseInitializer ?? []).length) throw new RangeError('buildGradientGraph: sparse initializers are not supported');
  const inputs = (graph.input ?? []).filter((i) => !initializers.has(i.name!));
  const hints = ShapeTable.hintsFrom([...(graph.valueInfo ?? []), ...(graph.input ?? []), ...(graph.output ?? [])]);
  const table = new ShapeTable(hints);
  for (const i of inputs) {
    const h = hints.get(i.name!);
    if (!h?.dtype) throw new RangeError(`buildGradientGraph: graph input '${i.name}' has no tensor type`);
    table.set(i.name!, h);
  }
  for (const t of initializers.values()) table.addTensor(t);
  const available = new Set<string>([...inputs.map((i) => i.name!), ...initializers.keys()]);
  const sorted = topoSort(graphNodes, available);
  const taken = namesOf(graph);
  // Ifs on constants fold, loops of constant length unroll; what cannot is kept with the reason.
  const { nodes: expanded, blocked } = expandControlFlow(sorted, table, modelOpset, freshNames(taken));
  return { initializers, sources, lifted, inputs, hints, table, available, taken, expanded, blocked };
}

/**
 * The element type and shape of any value of a model (a graph output or an intermediate value), as the
 * autodiff infers them; undefined when no node, input or initializer defines it.
 */
export function valueInfoOf(model: ModelProto, name: string): { dtype?: DType; shape?: Dim[]; producer?: NodeProto } | undefined {
  if (!model.graph) return undefined;
  const { table, available, expanded } = importGraph(model);
  const producer = expanded.find((n) => n.output?.includes(name));
  if (!producer && !available.has(name)) return undefined;
  const info = table.get(name) ?? {};
  return { dtype: info.dtype, shape: info.shape ? [...info.shape] : undefined, producer };
}

/**
 * Builds forward + loss + backward of `model` in one GraphBuilder. Trainable initializers become graph
 * inputs, frozen ones stay initializers. Throws, before anything is returned, for an op on the path from a
 * trainable initializer to the loss that has no gradient rule, naming the op, the node and the initializer.
 */
export function buildGradientGraph(model: ModelProto, options: GradientGraphOptions = {}): GradientGraph {
  const graph = model.graph;
  if (!graph) throw new RangeError('buildGradientGraph: the model has no graph');
  if (!options.loss && !options.lossOutput) throw new RangeError('buildGradientGraph: give `loss` (a loss appended to a model output) or `lossOutput` (a scalar model output)');
  const modelOpset = opsetOf(model);
  const opset = options.opset ?? Math.max(modelOpset, 17);
  if (!Number.isInteger(opset) || opset < 13 || opset < modelOpset) {
    throw new RangeError(`buildGradientGraph: opset ${options.opset} must be an integer >= 13 and >= the model's opset ${modelOpset}`);
  }
  const extraOpsets: Record<string, number> = {};
  for (const o of model.opsetImport ?? []) if (!ONNX_DOMAINS.has(o.domain ?? '')) extraOpsets[o.domain!] = o.version ?? 1;

  const { initializers, sources, lifted, inputs, hints, table, available, taken, expanded, blocked } = importGraph(model);
  const forward = upgradeNodes(expanded, modelOpset, opset, table).map((n) => upgradeSubgraphs(n, modelOpset, opset, table));

  const outputNames = (graph.output ?? []).map((o) => o.name!);
  const target = options.loss ? options.loss.output ?? outputNames[0] : options.lossOutput!;
  const defined = new Set<string>([...available, ...forward.flatMap((n) => n.output ?? [])]);
  if (!defined.has(target)) {
    const what = options.loss ? 'loss.output' : 'lossOutput';
    throw new RangeError(`buildGradientGraph: ${what} '${target}' is not a value of the model (its outputs: ${outputNames.join(', ')})`);
  }

  // ---- which tensors train ----
  const reaches = reachingTarget(forward, table, target);
  const spec = options.trainable;
  const tensors = new Map([...initializers].map(([n, t]) => [n, { tensor: t, source: sources.get(n)! }]));
  if (Array.isArray(spec)) {
    const seen = new Set<string>();
    for (const name of spec) {
      const t = initializers.get(name);
      if (!t) throw new RangeError(`trainable: '${name}' is not an initializer of the model, nor a float Constant`);
      const dtype = fromOnnxDataType(t.dataType ?? 0);
      const where = sources.get(name) === 'Constant' ? 'Constant' : 'initializer';
      if (!isFloatType(dtype)) throw new RangeError(`trainable: ${where} '${name}' is ${dtype}; only float ${where}s can train`);
      if (!reaches.has(name)) throw new RangeError(`trainable: the loss does not depend on ${where} '${name}' through any differentiable input`);
      if (seen.has(name)) throw new RangeError(`trainable: '${name}' is listed twice`);
      seen.add(name);
    }
  }
  const choices = chooseTrainable(tensors, forward, reaches, spec);
  const chosen = new Set(choices.filter((c) => c.trainable).map((c) => c.name));
  const trainable = (Array.isArray(spec) ? spec : [...initializers.keys()]).filter((n) => chosen.has(n)).map((n) => initializers.get(n)!);
  if (trainable.length === 0) throw nothingTrainable(choices, { initializers: (graph.initializer ?? []).length, constants: lifted.length });
  const trainableNames = new Set(trainable.map((t) => t.name!));

  // ---- the forward graph ----
  const g = new GraphBuilder(graph.name || 'training', { opset, extraOpsets });
  for (const name of [...available, ...taken, ...forward.flatMap((n) => n.output ?? []), ...forward.map((n) => n.name ?? '')]) if (name) g.uniqueName(name);
  for (const i of inputs) g.input(i.name!, table.get(i.name!)!.dtype!, table.get(i.name!)!.shape ?? []);
  const params: GradientParam[] = [];
  for (const t of trainable) {
    const dtype = fromOnnxDataType(t.dataType ?? 0);
    const dims = (t.dims ?? []).map(Number);
    params.push({ name: t.name!, value: g.input(t.name!, dtype, dims), dtype, dims, initial: toFloat32(t), source: sources.get(t.name!)! });
  }
  const frozen: string[] = [];
  for (const t of initializers.values()) {
    if (trainableNames.has(t.name!)) continue;
    g.addInitializer(t);
    if (isFloatType(fromOnnxDataType(t.dataType ?? 0))) frozen.push(t.name!);
  }
  const requires = requiresGrad(forward, table, trainableNames);
  for (const n of forward) emitForward(g, withGradientOutputs(n, requires, g, table), table);

  const typed = (name: string) => new Value(name, table.get(name)?.dtype ?? g.get(name)?.dtype, table.get(name)?.shape ?? g.get(name)?.shape);
  const outputs: Record<string, Value> = {};
  for (const name of outputNames) outputs[name] = typed(name);

  // ---- the loss ----
  const before = g.toGraph();
  const forwardCount = (before.node ?? []).length;
  let loss: Value;
  if (options.loss) {
    const { labels } = options.loss;
    // Labels of a prediction of unknown rank have unknown rank too (checked against the run's shapes).
    const labelsValue = g.input(labels.name, labels.dtype, labels.shape);
    table.set(labels.name, { dtype: labels.dtype, shape: labels.shape ? [...labels.shape] : undefined });
    loss = options.loss.build(g, outputs[target] ?? typed(target), labelsValue);
    if (!(loss instanceof Value) || !g.get(loss.name)) throw new RangeError('loss.build: did not return a value of the graph');
  } else {
    loss = outputs[target] ?? typed(target);
  }
  const full = g.toGraph();
  for (const t of full.initializer ?? []) if (!table.get(t.name!)) table.addTensor(t);
  const lossNodes = (full.node ?? []).slice(forwardCount);
  for (const n of lossNodes) {
    for (const o of n.output ?? []) {
      const v = g.get(o);
      if (o && v) hints.set(o, { dtype: v.dtype, shape: v.shape ? [...v.shape] : undefined });
    }
    table.inferNode(n);
  }
  const lossInfo = table.get(loss.name) ?? { dtype: loss.dtype, shape: loss.shape };
  loss = new Value(loss.name, lossInfo.dtype, lossInfo.shape);
  if (!lossInfo.dtype || !isFloatType(lossInfo.dtype)) throw new RangeError(`buildGradientGraph: the loss '${loss.name}' must be a float tensor, got ${lossInfo.dtype}`);
  if (lossInfo.shape && lossInfo.shape.some((d) => typeof d === 'number' && d !== 1)) {
    throw new RangeError(`buildGradientGraph: the loss '${loss.name}' must be a scalar, got shape [${lossInfo.shape.join(', ')}]`);
  }

  // ---- the backward graph ----
  const all = [...(full.node ?? [])];
  const grads = backward(g, all, table, trainableNames, loss, params, { blocked, modelOpset, opset, sources });
  return { builder: g, loss, outputs, params, grads, frozen, choices, target: outputs[target] ?? typed(target) };
}

/** Float initializers and values from which `target` can be reached through differentiable inputs. */
function reachingTarget(nodes: NodeProto[], table: ShapeTable, target: string): Set<string> {
  const reach = new Set<string>([target]);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    if (!(n.output ?? []).some((o) => o && reach.has(o))) continue;
    const ins = inputsOf(n);
    for (const i of differentiableInputs(n, table)) reach.add(ins[i]);
  }
  return reach;
}

/** Values that depend on a trainable initializer through differentiable inputs. */
function requiresGrad(nodes: NodeProto[], table: ShapeTable, trainable: Set<string>): Set<string> {
  const req = new Set(trainable);
  for (const n of nodes) {
    const ins = inputsOf(n);
    if (!differentiableInputs(n, table).some((i) => req.has(ins[i]))) continue;
    for (const o of n.output ?? []) {
      const dtype = table.get(o)?.dtype;
      if (o && (!dtype || isFloatType(dtype))) req.add(o);
    }
  }
  return req;
}

/** LayerNormalization keeps what its gradient needs (Mean and InvStdDev) as extra outputs. */
function withGradientOutputs(node: NodeProto, requires: Set<string>, g: GraphBuilder, table: ShapeTable): NodeProto {
  if (node.opType !== 'LayerNormalization' || !ONNX_DOMAINS.has(node.domain ?? '')) return node;
  if (!(node.output ?? []).some((o) => requires.has(o))) return node;
  const outs = [...(node.output ?? [])];
  for (const i of [1, 2]) {
    while (outs.length <= i) outs.push('');
    if (!outs[i]) outs[i] = g.uniqueName(`${outs[0]}_${i === 1 ? 'mean' : 'inv_std'}`);
  }
  const copy: NodeProto = { ...node, output: outs };
  table.inferNode(copy);
  return copy;
}

/** Nodes inside If/Loop/Scan subgraphs in the forms of the training graph's opset. */
function upgradeSubgraphs(node: NodeProto, from: number, to: number, table: ShapeTable): NodeProto {
  if (from >= to || !subgraphsOf(node).length) return node;
  const up = (g: GraphProto): GraphProto => {
    const child = table.child(ShapeTable.hintsFrom([...(g.valueInfo ?? []), ...(g.input ?? []), ...(g.output ?? [])]));
    for (const i of g.input ?? []) child.set(i.name!, child.get(i.name!) ?? {});
    for (const t of g.initializer ?? []) child.addTensor(t);
    for (const n of g.node ?? []) child.inferNode(n);
    return { ...g, node: upgradeNodes(g.node ?? [], from, to, child).map((n) => upgradeSubgraphs(n, from, to, child)) };
  };
  return { ...node, attribute: (node.attribute ?? []).map((a) => (a.g ? { ...a, g: up(a.g) } : a.graphs?.length ? { ...a, graphs: a.graphs.map(up) } : a)) };
}

/** What the backward pass needs besides the nodes: the loops that could not unroll, and the opsets. */
export interface BackwardEnv {
  blocked: Map<string, string>;
  /** Where each trainable tensor came from, for errors. */
  sources?: Map<string, TensorSource>;
  modelOpset: number;
  opset: number;
}

function backward(g: GraphBuilder, nodes: NodeProto[], table: ShapeTable, trainable: Set<string>, loss: Value, params: GradientParam[], env: BackwardEnv): Map<string, Value> {
  // Seed: d loss / d loss = 1.
  const ls = loss.shape;
  const seed = ls && isStatic(ls)
    ? g.constant(new Array(ls.reduce((a, b) => a * b, 1)).fill(1), loss.dtype!, ls)
    : g.op('ConstantOfShape', [g.shape(loss)], { value: fillValue(loss.dtype, 1) }, { dtypes: [loss.dtype] });
  const gradOf = backpropagate(g, nodes, table, trainable, new Map([[loss.name, new Value(seed.name, loss.dtype, ls)]]),
    ls && ls.length === 0 ? seed.name : undefined, env);

  const grads = new Map<string, Value>();
  const used = new Set<string>();
  // Values that no node produces (inputs, initializers, constants) need an Identity to become a separate output.
  const produced = new Set((g.toGraph().node ?? []).flatMap((n) => n.output ?? []));
  for (const p of params) {
    let v = gradOf(p.name);
    if (!v) v = g.op('ConstantOfShape', [g.ints(p.dims)], { value: fillValue(p.dtype) }, { dtypes: [p.dtype], shapes: [p.dims] });
    // Each param gets its own value, so that callers can mark every gradient as a graph output.
    if (used.has(v.name) || !produced.has(v.name)) v = g.op('Identity', [v], {}, { dtypes: [p.dtype], shapes: [p.dims] });
    used.add(v.name);
    grads.set(p.name, new Value(v.name, p.dtype, p.dims));
  }
  return grads;
}

/**
 * Reverse mode over `nodes` in `g`: from the gradients `seeds` of some values, the gradient of every value
 * that depends on one of `sources` and leads to a seed. Returns the summed gradient of a value (undefined
 * when no gradient reaches it). Also the backward pass of an If's branch, in the If's gradient subgraph.
 */
export function backpropagate(g: GraphBuilder, nodes: NodeProto[], table: ShapeTable, sources: Set<string>, seeds: Map<string, Value>,
  scalarSeed: string | undefined, env: BackwardEnv): (name: string) => Value | undefined {
  // Which values need a gradient: reachable from a source and leading to a seed.
  const req = requiresGrad(nodes, table, sources);
  const source = new Map<string, string>();
  for (const name of sources) source.set(name, name);
  for (const n of nodes) {
    const ins = inputsOf(n);
    const from = differentiableInputs(n, table).map((i) => source.get(ins[i])).find(Boolean);
    if (from) for (const o of n.output ?? []) if (o && !source.has(o)) source.set(o, from);
  }
  const leads = new Set<string>(seeds.keys());
  const active: NodeProto[] = [];
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    if (!(n.output ?? []).some((o) => o && leads.has(o) && req.has(o))) continue;
    const ins = inputsOf(n);
    const diff = differentiableInputs(n, table).filter((i) => req.has(ins[i]));
    if (diff.length === 0) continue;
    for (const i of diff) leads.add(ins[i]);
    active.push(n);
  }
  // Every active node needs a rule; check them all before emitting anything.
  for (const n of active) {
    const why = env.blocked.get(blockKey(n));
    if (why) throw new RangeError(describeBlocked(n, why));
    if (!ruleOf(n) && !isIf(n)) {
      const param = inputsOf(n).map((i) => source.get(i)).find(Boolean)!;
      const domain = n.domain && !ONNX_DOMAINS.has(n.domain) ? ` (domain '${n.domain}')` : '';
      const kind = env.sources?.get(param) === 'Constant' ? 'Constant' : 'initializer';
      throw new RangeError(`no gradient rule for op ${n.opType}${domain} at node '${n.name || n.output?.[0]}', which the gradient of trainable ${kind} '${param}' needs`);
    }
  }

  const contributions = new Map<string, Value[]>();
  const add = (name: string, v: Value) => {
    const list = contributions.get(name) ?? [];
    list.push(v);
    contributions.set(name, list);
  };
  const summed = (name: string): Value | undefined => {
    const list = contributions.get(name);
    if (!list || list.length === 0) return undefined;
    if (list.length > 1) {
      const info = table.get(name);
      const s = g.op('Sum', list, {}, { dtypes: [info?.dtype], shapes: [info?.shape] });
      contributions.set(name, [new Value(s.name, info?.dtype, info?.shape)]);
    }
    return contributions.get(name)![0];
  };
  for (const [name, v] of seeds) add(name, v);

  const shapeCache = new Map<string, Value>();
  const pass: BackwardPass = { producers: new Map(), reluMasked: new Set() };
  for (const n of nodes) for (const o of n.output ?? []) if (o) pass.producers.set(o, n);
  for (const n of active) {
    const outGrads = (n.output ?? []).map((o) => (o && req.has(o) ? summed(o) : undefined));
    if (outGrads.every((v) => !v)) continue;
    const ins = inputsOf(n);
    const diff = new Set(differentiableInputs(n, table).filter((i) => req.has(ins[i])));
    let results: (Value | undefined)[];
    if (isIf(n)) {
      const wanted = [...diff].map((i) => ins[i]);
      const byName = g.scope('grad', () => ifGradient(g, n, table, outGrads, wanted, env, backpropagate));
      results = ins.map((name) => byName.get(name));
    } else {
      const needed = ins.map((_, i) => diff.has(i));
      const ctx = new GradContext(g, n, table, outGrads, needed, shapeCache, scalarSeed, pass);
      results = g.scope('grad', () => ruleOf(n)!.grad(ctx));
    }
    for (const i of diff) {
      const r = results[i];
      if (!r) throw new RangeError(`${describeNode(n)}: the rule gave no gradient for input ${i} ('${ins[i]}')`);
      const info = table.get(ins[i]);
      add(ins[i], new Value(r.name, info?.dtype ?? r.dtype, info?.shape ?? r.shape));
    }
  }
  return summed;
}
