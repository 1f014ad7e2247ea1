// Reverse-mode autodiff of an ONNX model: the forward graph is imported into a GraphBuilder (trainable
// initializers become graph inputs), the loss is appended, and a backward pass over the topologically sorted
// nodes emits each op's gradient rule, summing the contributions of values used more than once.
import {
  GraphBuilder, Value, attributeKind, attributeValue, float16ToFloat32, fromOnnxDataType, isFloatType, tensorToArray,
} from '@ortrain/graph-builder';
import type { AttributeProto, AttributeValue, ModelProto, NodeProto, TensorProto, TypedAttribute } from '@ortrain/graph-builder';
import { describeNode } from './attrs';
import { GradContext, fillValue } from './context';
import type { GradRule } from './context';
import { ShapeTable, isStatic } from './infer';
import { GRADIENT_RULES, NO_GRADIENT } from './rules';
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

/** The inputs of a node that a gradient can flow through. */
function differentiableInputs(node: NodeProto, table: ShapeTable): number[] {
  if (isNoGradient(node)) return [];
  const rule = ruleOf(node);
  const out: number[] = [];
  (node.input ?? []).forEach((name, i) => {
    if (!name || rule?.nondiff?.includes(i)) return;
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
    for (const inp of nodes[i].input ?? []) {
      if (!inp || available.has(inp)) continue;
      const p = producer.get(inp);
      if (p === undefined) throw new RangeError(`${describeNode(nodes[i])}: input '${inp}' is not produced by any node, input or initializer`);
      visit(p);
    }
    state[i] = 2;
    order.push(nodes[i]);
  };
  nodes.forEach((_, i) => visit(i));
  return order;
}

/** An AttributeProto as the builder's typed attribute value (lossless). */
function typedAttrs(node: NodeProto): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const a of node.attribute ?? []) {
    const kind = attributeKind(a.type) ?? guessKind(a);
    if (!kind) throw new RangeError(`${describeNode(node)}: attribute '${a.name}' has no type`);
    const value = attributeValue({ ...a, type: a.type ?? KIND_CODE[kind] });
    // Plain values where the kind is unambiguous (the builder reads some, e.g. Transpose's perm); floats stay typed.
    const plain = (kind === 'int' || kind === 'string' || kind === 'tensor' || kind === 'graph' || ((kind === 'ints' || kind === 'strings') && (value as unknown[]).length > 0));
    out[a.name!] = plain ? (value as AttributeValue) : { kind, value };
  }
  return out;
}
const KIND_CODE: Record<string, number> = { float: 1, int: 2, string: 3, tensor: 4, graph: 5, floats: 6, ints: 7, strings: 8 };
function guessKind(a: AttributeProto): TypedAttribute['kind'] | undefined {
  if (a.ints?.length) return 'ints';
  if (a.floats?.length) return 'floats';
  if (a.strings?.length) return 'strings';
  if (a.t) return 'tensor';
  if (a.g) return 'graph';
  if (a.s) return 'string';
  if (a.f !== undefined) return 'float';
  if (a.i !== undefined) return 'int';
  return undefined;
}

function toFloat32(t: TensorProto): Float32Array {
  const data = tensorToArray(t);
  if (data instanceof Float32Array) return data;
  if (fromOnnxDataType(t.dataType ?? 0) === 'float16') return Float32Array.from(data as Uint16Array, float16ToFloat32);
  return Float32Array.from(data as Float64Array);
}

function allFinite(t: TensorProto): boolean {
  const data = toFloat32(t);
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return false;
  return true;
}

function opsetOf(model: ModelProto): number {
  const entry = (model.opsetImport ?? []).find((o) => ONNX_DOMAINS.has(o.domain ?? ''));
  return entry?.version ?? 1;
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

  // ---- what the graph holds ----
  const initializers = new Map<string, TensorProto>();
  for (const t of graph.initializer ?? []) initializers.set(t.name!, t);
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
  const sorted = topoSort(graph.node ?? [], available);
  for (const n of sorted) table.inferNode(n);
  const forward = upgradeNodes(sorted, modelOpset, opset, table);

  const outputNames = (graph.output ?? []).map((o) => o.name!);
  const target = options.loss ? options.loss.output ?? outputNames[0] : options.lossOutput!;
  if (!outputNames.includes(target)) {
    const what = options.loss ? 'loss.output' : 'lossOutput';
    throw new RangeError(`buildGradientGraph: ${what} '${target}' is not an output of the model (outputs: ${outputNames.join(', ')})`);
  }

  // ---- which initializers train ----
  const reaches = reachingTarget(forward, table, target);
  const floatInits = [...initializers.values()].filter((t) => isFloatType(fromOnnxDataType(t.dataType ?? 0)));
  const spec = options.trainable;
  let trainable: TensorProto[];
  if (Array.isArray(spec)) {
    const seen = new Set<string>();
    trainable = spec.map((name) => {
      const t = initializers.get(name);
      if (!t) throw new RangeError(`trainable: '${name}' is not an initializer of the model`);
      const dtype = fromOnnxDataType(t.dataType ?? 0);
      if (!isFloatType(dtype)) throw new RangeError(`trainable: initializer '${name}' is ${dtype}; only float initializers can train`);
      if (!reaches.has(name)) throw new RangeError(`trainable: the loss does not depend on initializer '${name}' through any differentiable input`);
      if (seen.has(name)) throw new RangeError(`trainable: '${name}' is listed twice`);
      seen.add(name);
      return t;
    });
  } else {
    const pick = spec instanceof RegExp ? (n: string) => spec.test(n) : typeof spec === 'function' ? (n: string, t: TensorProto) => spec(n, t) : () => true;
    // Tensors holding Inf or NaN (additive attention masks of -inf) are constants, never parameters.
    trainable = floatInits.filter((t) => reaches.has(t.name!) && pick(t.name!, t) && allFinite(t));
  }
  if (trainable.length === 0) throw new RangeError('buildGradientGraph: no trainable initializer reaches the loss (check `trainable`)');
  const trainableNames = new Set(trainable.map((t) => t.name!));

  // ---- the forward graph ----
  const g = new GraphBuilder(graph.name || 'training', { opset, extraOpsets });
  for (const name of [...available, ...forward.flatMap((n) => n.output ?? []), ...forward.map((n) => n.name ?? '')]) if (name) g.uniqueName(name);
  for (const i of inputs) g.input(i.name!, table.get(i.name!)!.dtype!, table.get(i.name!)!.shape ?? []);
  const params: GradientParam[] = [];
  for (const t of trainable) {
    const dtype = fromOnnxDataType(t.dataType ?? 0);
    const dims = (t.dims ?? []).map(Number);
    params.push({ name: t.name!, value: g.input(t.name!, dtype, dims), dtype, dims, initial: toFloat32(t) });
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
    const labelsValue = g.input(labels.name, labels.dtype, labels.shape);
    table.set(labels.name, { dtype: labels.dtype, shape: [...labels.shape] });
    loss = options.loss.build(g, outputs[target], labelsValue);
    if (!(loss instanceof Value) || !g.get(loss.name)) throw new RangeError('loss.build: did not return a value of the graph');
  } else {
    loss = outputs[target];
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
  const grads = backward(g, all, table, trainableNames, loss, params);
  return { builder: g, loss, outputs, params, grads, frozen };
}

/** Float initializers and values from which `target` can be reached through differentiable inputs. */
function reachingTarget(nodes: NodeProto[], table: ShapeTable, target: string): Set<string> {
  const reach = new Set<string>([target]);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    if (!(n.output ?? []).some((o) => o && reach.has(o))) continue;
    for (const i of differentiableInputs(n, table)) reach.add(n.input![i]);
  }
  return reach;
}

/** Values that depend on a trainable initializer through differentiable inputs. */
function requiresGrad(nodes: NodeProto[], table: ShapeTable, trainable: Set<string>): Set<string> {
  const req = new Set(trainable);
  for (const n of nodes) {
    if (!differentiableInputs(n, table).some((i) => req.has(n.input![i]))) continue;
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

function emitForward(g: GraphBuilder, node: NodeProto, table: ShapeTable): void {
  const ins = (node.input ?? []).map((name) => {
    if (!name) return undefined;
    const v = g.get(name);
    if (!v) throw new RangeError(`${describeNode(node)}: input '${name}' is not defined`);
    return v;
  });
  const outs = (node.output ?? []).map((o) => o || g.uniqueName(`${node.name || node.opType}_unused`));
  // Trailing omitted outputs are dropped; inner ones get names so the node keeps its output positions.
  while (outs.length && !(node.output ?? [])[outs.length - 1]) outs.pop();
  g.node(node.opType!, ins, typedAttrs(node), {
    outputs: outs, name: node.name || undefined, domain: node.domain || undefined,
    dtypes: outs.map((o) => table.get(o)?.dtype), shapes: outs.map((o) => table.get(o)?.shape),
  });
}

function backward(g: GraphBuilder, nodes: NodeProto[], table: ShapeTable, trainable: Set<string>, loss: Value, params: GradientParam[]): Map<string, Value> {
  // Which values need a gradient: reachable from a trainable initializer and leading to the loss.
  const req = requiresGrad(nodes, table, trainable);
  const source = new Map<string, string>();
  for (const name of trainable) source.set(name, name);
  for (const n of nodes) {
    const from = differentiableInputs(n, table).map((i) => source.get(n.input![i])).find(Boolean);
    if (from) for (const o of n.output ?? []) if (o && !source.has(o)) source.set(o, from);
  }
  const leads = new Set<string>([loss.name]);
  const active: NodeProto[] = [];
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    if (!(n.output ?? []).some((o) => o && leads.has(o) && req.has(o))) continue;
    const diff = differentiableInputs(n, table).filter((i) => req.has(n.input![i]));
    if (diff.length === 0) continue;
    for (const i of diff) leads.add(n.input![i]);
    active.push(n);
  }
  // Every active node needs a rule; check them all before emitting anything.
  for (const n of active) {
    if (!ruleOf(n)) {
      const param = (n.input ?? []).map((i) => source.get(i)).find(Boolean);
      const domain = n.domain && !ONNX_DOMAINS.has(n.domain) ? ` (domain '${n.domain}')` : '';
      throw new RangeError(`no gradient rule for op ${n.opType}${domain} at node '${n.name || n.output?.[0]}', which the gradient of trainable initializer '${param}' needs`);
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

  // Seed: d loss / d loss = 1.
  const ls = loss.shape;
  const seed = ls && isStatic(ls)
    ? g.constant(new Array(ls.reduce((a, b) => a * b, 1)).fill(1), loss.dtype!, ls)
    : g.op('ConstantOfShape', [g.shape(loss)], { value: fillValue(loss.dtype, 1) }, { dtypes: [loss.dtype] });
  add(loss.name, new Value(seed.name, loss.dtype, ls));

  const shapeCache = new Map<string, Value>();
  for (const n of active) {
    const outGrads = (n.output ?? []).map((o) => (o && req.has(o) ? summed(o) : undefined));
    if (outGrads.every((v) => !v)) continue;
    const rule = ruleOf(n)!;
    const diff = new Set(differentiableInputs(n, table).filter((i) => req.has(n.input![i])));
    const needed = (n.input ?? []).map((_, i) => diff.has(i));
    const ctx = new GradContext(g, n, table, outGrads, needed, shapeCache, ls && ls.length === 0 ? seed.name : undefined);
    const results = g.scope(`grad`, () => rule.grad(ctx));
    for (const i of diff) {
      const r = results[i];
      if (!r) throw new RangeError(`${describeNode(n)}: the rule gave no gradient for input ${i} ('${n.input![i]}')`);
      const info = table.get(n.input![i]);
      add(n.input![i], new Value(r.name, info?.dtype ?? r.dtype, info?.shape ?? r.shape));
    }
  }

  const grads = new Map<string, Value>();
  const used = new Set<string>();
  // Values that no node produces (inputs, initializers, constants) need an Identity to become a separate output.
  const produced = new Set((g.toGraph().node ?? []).flatMap((n) => n.output ?? []));
  for (const p of params) {
    let v = summed(p.name);
    if (!v) v = g.op('ConstantOfShape', [g.ints(p.dims)], { value: fillValue(p.dtype) }, { dtypes: [p.dtype], shapes: [p.dims] });
    // Each param gets its own value, so that callers can mark every gradient as a graph output.
    if (used.has(v.name) || !produced.has(v.name)) v = g.op('Identity', [v], {}, { dtypes: [p.dtype], shapes: [p.dims] });
    used.add(v.name);
    grads.set(p.name, new Value(v.name, p.dtype, p.dims));
  }
  return grads;
}


