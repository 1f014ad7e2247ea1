import type { GraphBuilder, Value } from '@ortrain/graph-builder';

/**
 * Per-tensor reductions over a value that holds one or more tensors end to end (a group's flat buffer), and
 * the broadcast of per-tensor values back to it. One tensor reduces with ReduceSum; several reduce by a
 * segment sum (ScatterElements with reduction 'add' over a tensor-index initializer) and broadcast back with
 * Gather, so a layer-wise rule costs the same few nodes for 1 tensor or 1000 (no slice, reshape and concat
 * per tensor).
 */
export interface Segments {
  /** Number of tensors. */
  readonly count: number;
  /** Each tensor's number of elements, float32 [count]. */
  sizes(): Value;
  /** Per-tensor sums of `x` (same length as the parameters): [count]. */
  sum(x: Value): Value;
  /** Per-tensor Euclidean norms of `x`: [count]. */
  norm(x: Value): Value;
  /** Per-tensor values [count] as a value that broadcasts against the parameters. */
  expand(v: Value): Value;
}

/** Segments of the given tensor sizes; `sizes.length === 1` reduces the whole value. */
export function segmentsOf(g: GraphBuilder, sizes: readonly number[]): Segments {
  if (sizes.length === 1) {
    return {
      count: 1,
      sizes: () => g.constant([sizes[0]], 'float32', [1]),
      sum: (x) => g.reduceSum(x, [0], true),
      norm: (x) => g.sqrt(g.reduceSumSquare(x, [0], true)),
      expand: (v) => v,
    };
  }
  let ids: Value | undefined;
  let zeros: Value | undefined;
  const index = (): Value => {
    if (!ids) {
      const data = new Int32Array(sizes.reduce((a, b) => a + b, 0));
      let at = 0;
      sizes.forEach((n, i) => { data.fill(i, at, at + n); at += n; });
      ids = g.initializer(g.uniqueName('segment_ids'), 'int32', [data.length], data);
    }
    return ids;
  };
  const sum = (x: Value): Value => {
    zeros ??= g.constant(new Float32Array(sizes.length), 'float32', [sizes.length]);
    return g.op('ScatterElements', [zeros, index(), x], { axis: 0, reduction: 'add' }, { shapes: [[sizes.length]] });
  };
  return {
    count: sizes.length,
    sizes: () => g.constant(Float32Array.from(sizes), 'float32', [sizes.length]),
    sum,
    norm: (x) => g.sqrt(sum(g.mul(x, x))),
    expand: (v) => g.op('Gather', [v, index()], { axis: 0 }),
  };
}

/** Segments for a rule known to be element-wise: any use is a bug. */
export const noSegments: Segments = {
  count: 0,
  sizes: () => { throw new Error('an element-wise rule used per-tensor segments'); },
  sum: () => { throw new Error('an element-wise rule used per-tensor segments'); },
  norm: () => { throw new Error('an element-wise rule used per-tensor segments'); },
  expand: () => { throw new Error('an element-wise rule used per-tensor segments'); },
};
