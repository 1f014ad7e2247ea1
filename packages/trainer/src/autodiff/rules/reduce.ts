// Reductions (axes as attribute or input, keepdims, noop_with_empty_axes): the gradient is broadcast back.
import type { Value } from '@ortrain/graph-builder';
import type { GradContext, GradRule } from '../context';
import { axesOf } from '../infer';

/** The reduced axes (normalised), or null when the node reduces nothing (noop_with_empty_axes). */
function reducedAxes(c: GradContext): number[] | null {
  const rank = c.rank(c.x(0));
  const axes = axesOf(c.table, c.node, c.attrs);
  if (axes === null) c.fail('axes computed at run time are not supported');
  if (!axes || axes.length === 0) {
    return c.attrs.int('noop_with_empty_axes', 0) === 1 ? null : Array.from({ length: rank }, (_, i) => i);
  }
  return [...new Set(axes.map((a) => c.axis(a, rank)))].sort((a, b) => a - b);
}

/** v (shaped like the output) with the reduced axes kept as size 1, ready to broadcast against the input. */
function keep(c: GradContext, v: Value, axes: number[]): Value {
  if (c.attrs.int('keepdims', 1) === 1) return v;
  // Leading axes need no size-1 placeholders: broadcasting aligns from the right.
  if (axes.every((a, i) => a === i)) return v;
  return c.g.unsqueeze(v, axes);
}

/** dY broadcast to the input's shape (one Expand). */
function expandBack(c: GradContext, v: Value, axes: number[]): Value {
  const x = c.x(0);
  const xs = x.shape!;
  const kept = keep(c, v, axes);
  const target = axes.every((a) => typeof xs[a] === 'number')
    ? c.g.ints(xs.map((d, i) => (axes.includes(i) ? (d as number) : 1)))
    : c.shapeOf(x);
  return c.typedOp('Expand', [kept, target], {}, x);
}

/**
 * A reduction over every axis of an input of unknown rank (a loss on a prediction whose rank is only known
 * at run time): dY, a scalar or all size-1, broadcasts back to Shape(x) as it is.
 */
function allOfUnknownRank(c: GradContext): boolean {
  if (c.x(0).rank !== undefined) return false;
  const axes = axesOf(c.table, c.node, c.attrs);
  return (!axes || axes.length === 0) && c.attrs.int('noop_with_empty_axes', 0) === 0;
}

function reduceSumGrad(c: GradContext): (Value | undefined)[] {
  if (allOfUnknownRank(c)) return [c.typedOp('Expand', [c.grad, c.shapeOf(c.x(0))], {}, c.x(0))];
  const axes = reducedAxes(c);
  return [axes ? expandBack(c, c.grad, axes) : c.grad];
}

function reduceMeanGrad(c: GradContext): (Value | undefined)[] {
  if (allOfUnknownRank(c)) {
    const x = c.x(0);
    const count = c.g.cast(c.g.size(x), x.dtype!);
    return [c.typedOp('Expand', [c.g.div(c.grad, count), c.shapeOf(x)], {}, x)];
  }
  const axes = reducedAxes(c);
  if (!axes) return [c.grad];
  const xs = c.x(0).shape!;
  const sizes = axes.map((a) => xs[a]);
  if (sizes.every((d) => typeof d === 'number')) {
    const count = (sizes as number[]).reduce((a, b) => a * b, 1);
    // A mean loss: the seed times 1/count is one constant.
    const scaled = c.isSeed(c.grad) ? c.scalar(1 / count, c.grad) : c.g.mul(c.grad, 1 / count);
    return [expandBack(c, scaled, axes)];
  }
  const { g } = c;
  const count = g.cast(g.div(g.size(c.x(0)), g.size(c.y())), c.x(0).dtype!);
  return [g.div(expandBack(c, c.grad, axes), count)];
}

/** Max and min: the gradient goes to the elements equal to the result, shared among ties. */
function extremumGrad(c: GradContext): (Value | undefined)[] {
  const { g } = c;
  const axes = reducedAxes(c);
  if (!axes) return [c.grad];
  const x = c.x(0);
  const mask = g.cast(g.equal(x, keep(c, c.y(), axes)), x.dtype!);
  const ties = c.reduceSum(mask, axes, true);
  return [g.mul(mask, g.div(keep(c, c.grad, axes), ties))];
}

/** Reductions whose local derivative is an element-wise function of x and the kept result. */
const pointwise = (local: (c: GradContext, x: Value, y: Value) => Value) => (c: GradContext): (Value | undefined)[] => {
  const axes = reducedAxes(c);
  if (!axes) return [c.g.mul(c.grad, local(c, c.x(0), c.y()))];
  return [c.g.mul(keep(c, c.grad, axes), local(c, c.x(0), keep(c, c.y(), axes)))];
};

export const reduceRules: Record<string, GradRule> = {
  ReduceSum: { grad: reduceSumGrad, nondiff: [1] },
  ReduceMean: { grad: reduceMeanGrad, nondiff: [1] },
  ReduceMax: { grad: extremumGrad, nondiff: [1] },
  ReduceMin: { grad: extremumGrad, nondiff: [1] },
  ReduceSumSquare: { grad: pointwise((c, x) => c.g.mul(x, 2)), nondiff: [1] },
  ReduceL1: { grad: pointwise((c, x) => c.g.sign(x)), nondiff: [1] },
  ReduceL2: { grad: pointwise((c, x, y) => c.g.div(x, y)), nondiff: [1] },
  ReduceLogSumExp: { grad: pointwise((c, x, y) => c.g.exp(c.g.sub(x, y))), nondiff: [1] },
};
