import { GraphBuilder, ModelProto, Value } from '@ortrain/graph-builder';
import type { Algorithm } from './algorithm';
import { noSegments, segmentsOf } from './segments';

/** Where each tensor of a parameter group sits in the group's flat buffers. */
export interface TensorSlot {
  offset: number;
  size: number;
  shape: readonly number[];
}

/** How one step of a group is laid out in the graph. */
export interface StepPlan {
  /** The group's tensors, in order; their sizes add up to the flat length. */
  tensors: readonly TensorSlot[];
  /** Per tensor: the index of its scalar set, or -1 when it has no gradient this step (left unchanged). */
  sets: readonly number[];
  /** Per scalar set: its scalar names and the rule's variant. */
  scalarSets: readonly { names: readonly string[]; variant: string }[];
}

/** The graph inputs a group update reads. */
export interface GroupInputs {
  /** All of the group's parameters as one flat float32 tensor. */
  param: Value;
  /** Each state tensor as one flat float32 tensor, by name. */
  state: Record<string, Value>;
  /** The gradient: one flat tensor covering every tensor, or one per tensor (undefined where none). */
  grad: Value | readonly (Value | undefined)[];
  /** Scalar inputs per scalar set, by name. */
  scalars: readonly Record<string, Value>[];
}

/**
 * True when the whole group can be updated by one chain of nodes over the flat buffers: every tensor steps,
 * with one set of scalars (per-tensor reductions are segment reductions over the flat buffer).
 */
export function isFlat(plan: StepPlan): boolean {
  return plan.scalarSets.length === 1 && plan.sets.every((s) => s === 0);
}

/** Names of the state tensors that hold one number per tensor. */
export function perTensorState<O>(algo: Algorithm<O>, options: O): Set<string> {
  return new Set(algo.state(options).filter((s) => s.perTensor).map((s) => s.name));
}

/**
 * Appends one step of a parameter group to `g`: new flat parameter and state values. With every tensor present
 * and one set of scalars the group runs as one chain over the flat buffers (a concatenation of per-tensor
 * gradients when they are given apart), per-tensor norms as segment reductions; otherwise each tensor is sliced
 * out, updated on its own and the pieces concatenated again. Per-tensor state holds one value per tensor.
 */
export function appendGroupUpdate<O>(g: GraphBuilder, algo: Algorithm<O>, options: O, plan: StepPlan, inputs: GroupInputs): { param: Value; state: Record<string, Value> } {
  const stateNames = Object.keys(inputs.state);
  const perTensor = perTensorState(algo, options);
  if (isFlat(plan)) {
    const grad = inputs.grad instanceof Value ? inputs.grad : flatten(g, inputs.grad as Value[], plan);
    const segments = algo.elementwise ? noSegments : segmentsOf(g, plan.tensors.map((t) => t.size));
    return algo.update(g, { param: inputs.param, grad, state: inputs.state, scalars: inputs.scalars[0], variant: plan.scalarSets[0].variant, segments }, options);
  }
  const single = plan.tensors.length === 1;
  const piece = (x: Value, t: TensorSlot, i: number, n: string | undefined): Value => {
    if (single) return x;
    return n !== undefined && perTensor.has(n) ? g.slice(x, [i], [i + 1], [0]) : g.slice(x, [t.offset], [t.offset + t.size], [0]);
  };
  const params: Value[] = [];
  const states: Record<string, Value[]> = Object.fromEntries(stateNames.map((n) => [n, []]));
  plan.tensors.forEach((t, i) => {
    const p = piece(inputs.param, t, i, undefined);
    const st = Object.fromEntries(stateNames.map((n) => [n, piece(inputs.state[n], t, i, n)]));
    const set = plan.sets[i];
    if (set < 0) {
      params.push(p);
      for (const n of stateNames) states[n].push(st[n]);
      return;
    }
    let grad = inputs.grad instanceof Value ? piece(inputs.grad, t, i, undefined) : inputs.grad[i]!;
    if ((grad.rank ?? 1) !== 1) grad = g.reshape(grad, [t.size]);
    const out = g.scope(`t${i}`, () => algo.update(g, {
      param: p,
      grad,
      state: st,
      scalars: inputs.scalars[set],
      variant: plan.scalarSets[set].variant,
      segments: algo.elementwise ? noSegments : segmentsOf(g, [t.size]),
    }, options));
    params.push(out.param);
    for (const n of stateNames) states[n].push(out.state[n]);
  });
  const join = (xs: Value[]) => (xs.length === 1 ? xs[0] : g.concat(xs, 0));
  return { param: join(params), state: Object.fromEntries(stateNames.map((n) => [n, join(states[n])])) };
}

function flatten(g: GraphBuilder, grads: readonly Value[], plan: StepPlan): Value {
  const flat = grads.map((x, i) => ((x.rank ?? 0) === 1 ? x : g.reshape(x, [plan.tensors[i].size])));
  return flat.length === 1 ? flat[0] : g.concat(flat, 0);
}

/**
 * The model of one step of a large group updated element-wise in chunks: each chunk of the flat buffers is
 * its own input and output (chunk<c>.param, chunk<c>.grad, chunk<c>.state.*, and .out for outputs) with its
 * own chain of nodes, all sharing the scalars s0.* of one scalar set. onnxruntime runs each chain's nodes
 * together, so their intermediates are chunk-sized and stay in cache; one chunk is the whole group.
 */
export function buildChunkedModel<O>(algo: Algorithm<O>, options: O, scalarSet: StepPlan['scalarSets'][number], stateNames: readonly string[], chunks: readonly number[]): ModelProto {
  const g = new GraphBuilder(`${algo.name}_step`);
  const scalars = Object.fromEntries(scalarSet.names.map((n) => [n, g.input(names.scalar(0, n), 'float32', [])]));
  chunks.forEach((size, c) => {
    const param = g.input(names.chunk(c, names.param), 'float32', [size]);
    const state = Object.fromEntries(stateNames.map((n) => [n, g.input(names.chunk(c, names.state(n)), 'float32', [size])]));
    const grad = g.input(names.chunk(c, names.grad), 'float32', [size]);
    const out = g.scope(`c${c}`, () => algo.update(g, { param, grad, state, scalars, variant: scalarSet.variant, segments: noSegments }, options));
    g.output(out.param, names.chunk(c, names.paramOut));
    for (const n of stateNames) g.output(out.state[n], names.chunk(c, names.stateOut(n)));
  });
  return g.build();
}

/** Input and output names of a standalone group model. */
export const names = {
  param: 'param',
  grad: 'grad',
  gradOf: (i: number) => `grad.${i}`,
  state: (n: string) => `state.${n}`,
  scalar: (set: number, n: string) => `s${set}.${n}`,
  paramOut: 'param.out',
  stateOut: (n: string) => `state.${n}.out`,
  chunk: (c: number, name: string) => `chunk${c}.${name}`,
};

/**
 * The standalone model of one step of a group: inputs param, state.*, grad (flat) or grad.i (per present
 * tensor), s<k>.* scalars; outputs param.out and state.*.out.
 */
export function buildGroupModel<O>(algo: Algorithm<O>, options: O, plan: StepPlan, stateNames: readonly string[], flatGrad: boolean): ModelProto {
  const size = plan.tensors.reduce((a, t) => a + t.size, 0);
  const perTensor = perTensorState(algo, options);
  const g = new GraphBuilder(`${algo.name}_step`);
  const param = g.input(names.param, 'float32', [size]);
  const state = Object.fromEntries(stateNames.map((n) => [n, g.input(names.state(n), 'float32', [perTensor.has(n) ? plan.tensors.length : size])]));
  const grad = flatGrad
    ? g.input(names.grad, 'float32', [size])
    : plan.tensors.map((t, i) => (plan.sets[i] < 0 ? undefined : g.input(names.gradOf(i), 'float32', [t.size])));
  const scalars = plan.scalarSets.map((set, k) => Object.fromEntries(set.names.map((n) => [n, g.input(names.scalar(k, n), 'float32', [])])));
  const out = appendGroupUpdate(g, algo, options, plan, { param, state, grad, scalars });
  g.output(out.param, names.paramOut);
  for (const n of stateNames) g.output(out.state[n], names.stateOut(n));
  return g.build();
}
