import { Value, tensorFromArray } from '@ortrain/graph-builder';
import type { DType, Dim, GraphBuilder, NodeProto, TensorProto } from '@ortrain/graph-builder';
import { NodeAttrs, describeNode } from './attrs';
import { ShapeTable, isStatic } from './infer';

/** What the rules of one backward pass share: who produces each value, and gradients already ReLU-masked. */
export interface BackwardPass {
  producers: Map<string, NodeProto>;
  reluMasked: Set<string>;
}

/**
 * What a gradient rule sees: the forward node, its inputs and outputs with their types and shapes, the
 * gradients of its outputs, and helpers that emit as few nodes as the known shapes allow.
 */
export class GradContext {
  readonly attrs: NodeAttrs;

  constructor(
    readonly g: GraphBuilder,
    readonly node: NodeProto,
    readonly table: ShapeTable,
    private readonly outputGrads: (Value | undefined)[],
    private readonly needed: boolean[],
    private readonly shapeCache: Map<string, Value>,
    private readonly seed?: string,
    private readonly pass: BackwardPass = { producers: new Map(), reluMasked: new Set() },
  ) {
    this.attrs = new NodeAttrs(node);
  }

  /** The op type of the node (of this backward pass's graph) that produces v, if any. */
  producerOp(v: Value): string | undefined {
    return this.pass.producers.get(v.name)?.opType;
  }

  /**
   * Marks v as a gradient already multiplied by the ReLU mask of the Relu that produced this node's input
   * (see rules/pool.ts): when it is that Relu output's only gradient, the Relu rule passes it on as it is.
   */
  markReluMasked(v: Value): void {
    this.pass.reluMasked.add(v.name);
  }

  /** Whether v was marked by markReluMasked. */
  isReluMasked(v: Value): boolean {
    return this.pass.reluMasked.has(v.name);
  }

  get opset(): number {
    return this.g.opset;
  }

  /** Forward input i, typed from the shape table (undefined when omitted). */
  x(i: number): Value {
    const name = this.node.input?.[i];
    if (!name) throw new RangeError(`${describeNode(this.node)}: input ${i} is missing`);
    return this.typed(name);
  }
  has(i: number): boolean {
    return !!this.node.input?.[i];
  }
  /** Forward output i. */
  y(i = 0): Value {
    const name = this.node.output?.[i];
    if (!name) throw new RangeError(`${describeNode(this.node)}: output ${i} is missing`);
    return this.typed(name);
  }
  /** Gradient of output i, or undefined when that output does not reach the loss. */
  dy(i = 0): Value | undefined {
    return this.outputGrads[i];
  }
  /** Gradient of output 0, which every rule of a single-output op has. */
  get grad(): Value {
    return this.outputGrads[0]!;
  }
  /** Whether v is the backward pass's seed, a scalar 1 (d loss / d loss). */
  isSeed(v: Value): boolean {
    return v.name === this.seed;
  }

  /** Whether input i needs a gradient. */
  needs(i: number): boolean {
    return !!this.needed[i];
  }

  typed(name: string): Value {
    const info = this.table.get(name);
    return new Value(name, info?.dtype ?? this.g.get(name)?.dtype, info?.shape ?? this.g.get(name)?.shape);
  }

  fail(message: string): never {
    throw new RangeError(`${describeNode(this.node)}: ${message}`);
  }

  rank(v: Value): number {
    if (v.rank === undefined) this.fail(`the rank of '${v.name}' is unknown; the gradient needs it`);
    return v.rank;
  }

  /** A scalar constant of v's element type. */
  scalar(value: number, like: Value): Value {
    return this.g.constant(value, like.dtype ?? 'float32');
  }

  /** The shape of v as a 1-D int64 value: a constant when static, one Shape node (shared) otherwise. */
  shapeOf(v: Value): Value {
    if (isStatic(v.shape)) return this.g.ints(v.shape);
    let s = this.shapeCache.get(v.name);
    if (!s) {
      s = this.g.shape(v);
      this.shapeCache.set(v.name, s);
    }
    return s;
  }

  /** Shape(v)[start:end] as a 1-D int64 value (one Shape node with start/end), typed with its length. */
  shapeSlice(v: Value, start: number, end?: number): Value {
    const r = v.rank;
    const norm = (a: number) => (r === undefined ? a : Math.max(0, Math.min(r, a < 0 ? a + r : a)));
    const len = r === undefined ? undefined : Math.max(0, norm(end ?? r) - norm(start));
    return this.g.op('Shape', [v], { start, end }, { dtypes: ['int64'], shapes: [len === undefined ? undefined : [len]] });
  }

  /** A Reshape target for v's shape: constant when at most one size is symbolic (that one becomes -1). */
  reshapeTarget(v: Value): Value {
    const s = v.shape;
    if (s && s.filter((d) => typeof d !== 'number').length <= 1 && !s.includes(0)) return this.g.ints(s.map((d) => (typeof d === 'number' ? d : -1)));
    return this.shapeOf(v);
  }

  /** x reshaped to the shape of `target` (no node when the shapes are statically equal). */
  reshapeLike(x: Value, xShape: readonly Dim[] | undefined, target: Value): Value {
    if (xShape && target.shape && sameDims(xShape, target.shape)) return x;
    return this.typedOp('Reshape', [x, this.reshapeTarget(target)], {}, target);
  }

  /** A node whose single output has the type and shape of `like`. */
  typedOp(op: string, inputs: (Value | undefined)[], attrs: Record<string, unknown>, like: { dtype?: DType; shape?: readonly Dim[] }): Value {
    return this.g.op(op, inputs, attrs as never, { dtypes: [like.dtype], shapes: [like.shape] });
  }

  /** Zeros of v's type and shape. */
  zerosLike(v: Value): Value {
    return this.g.op('ConstantOfShape', [this.shapeOf(v)], { value: fillValue(v.dtype) }, { dtypes: [v.dtype], shapes: [v.shape] });
  }

  /** A ReduceSum over `axes` (constant), in the form of the graph's opset. */
  reduceSum(x: Value, axes: number[], keepdims: boolean, shape?: readonly Dim[]): Value {
    const out = this.g.reduceSum(x, axes, keepdims);
    return shape ? new Value(out.name, x.dtype, shape) : out;
  }

  /**
   * Sums `grad` (of shape `gradShape`, the broadcast result) down to the shape of `target`, as ONNX
   * multidirectional broadcasting requires. Static where the shapes decide it, at run time where a
   * symbolic size might be 1.
   */
  reduceTo(grad: Value, gradShape: readonly Dim[] | undefined, target: Value): Value {
    const ts = target.shape;
    const gs = gradShape;
    if (ts && gs && gs.length >= ts.length) {
      const k = gs.length - ts.length;
      const axes: number[] = [];
      let ambiguous = false;
      for (let i = 0; i < gs.length; i++) {
        if (i < k) { axes.push(i); continue; }
        const dt = ts[i - k], dg = gs[i];
        if (dt === dg) continue;
        if (dt === 1) axes.push(i);
        else if (typeof dt === 'number' || dg === 1) continue;
        else ambiguous = true;
      }
      if (!ambiguous) {
        if (axes.length === 0) return k === 0 ? grad : this.reshapeLike(grad, undefined, target);
        if (axes.every((a) => a < k)) return new Value(this.g.reduceSum(grad, axes, false).name, grad.dtype, ts);
        const summed = this.g.reduceSum(grad, axes, true);
        return k === 0 ? new Value(summed.name, grad.dtype, ts) : this.reshapeLike(summed, undefined, target);
      }
    }
    if (!gs || !ts) return this.reduceToAtRunTime(grad, target);
    // Run time: sum over the axes where the (left-padded) target's size differs from the gradient's.
    const g = this.g;
    const k = gs.length - ts.length;
    let tShape = this.shapeOf(target);
    if (k > 0) tShape = g.concat([g.ints(new Array(k).fill(1)), tShape], 0);
    const differ = g.not(g.equal(this.shapeOf(new Value(grad.name, grad.dtype, gs)), tShape));
    const axes = g.reshape(g.op('NonZero', [differ], {}, { dtypes: ['int64'] }), [-1]);
    const summed = g.op('ReduceSum', [grad, axes], { keepdims: 1, noop_with_empty_axes: 1 }, { dtypes: [grad.dtype] });
    return k > 0 ? this.typedOp('Reshape', [summed, this.shapeOf(target)], {}, target) : new Value(summed.name, grad.dtype, ts);
  }

  /**
   * reduceTo when a rank is unknown until run time: the target's shape is left-padded with ones to the
   * gradient's rank, the axes where they differ are summed (keepdims), then the padding axes are summed
   * away. (No Reshape: onnxruntime 1.30 fails to load a Reshape on a run-time shape followed by another.)
   */
  private reduceToAtRunTime(grad: Value, target: Value): Value {
    const g = this.g;
    const gShape = g.shape(grad);
    const tShape = this.shapeOf(target);
    const pad = g.sub(g.size(gShape), g.size(tShape));
    const ones = g.op('ConstantOfShape', [g.unsqueeze(pad, [0])], { value: fillValue('int64', 1) }, { dtypes: ['int64'] });
    const padded = g.concat([ones, tShape], 0);
    const axes = g.reshape(g.op('NonZero', [g.not(g.equal(gShape, padded))], {}, { dtypes: ['int64'] }), [-1]);
    const summed = g.op('ReduceSum', [grad, axes], { keepdims: 1, noop_with_empty_axes: 1 }, { dtypes: [grad.dtype] });
    const leading = g.op('Range', [g.constant(0, 'int64'), pad, g.constant(1, 'int64')], {}, { dtypes: ['int64'] });
    return this.typedOp('ReduceSum', [summed, leading], { keepdims: 0, noop_with_empty_axes: 1 }, target);
  }

  /** Normalises a possibly negative axis against v's rank. */
  axis(a: number, rank: number): number {
    return a < 0 ? a + rank : a;
  }
}

export function sameDims(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The one-element `value` attribute of ConstantOfShape. */
export function fillValue(dtype: DType | undefined, value = 0): TensorProto {
  return tensorFromArray('value', dtype ?? 'float32', [1], [value]);
}

/** A gradient rule: the gradients of the node's inputs (undefined for inputs without one). */
export type GradFn = (c: GradContext) => (Value | undefined)[];

export interface GradRule {
  grad: GradFn;
  /** Inputs that carry no gradient (indices, shapes, running statistics): never differentiated through. */
  nondiff?: number[];
}
