// Gathers: the gradient is scattered back with reduction 'add', so repeated indices (an embedding row used
// twice in a batch) sum their contributions.
import type { Value } from '@ortrain/graph-builder';
import { fillValue } from '../context';
import type { GradContext, GradRule } from '../context';

/** Indices with negatives wrapped (skipped when they are known constants >= 0). */
function wrapped(c: GradContext, indices: Value, dim: Value | number): Value {
  const known = c.table.ints(c.node.input?.[1]);
  if (known && known.every((i) => i >= 0)) return indices;
  const { g } = c;
  const size = typeof dim === 'number' ? g.constant(dim, indices.dtype ?? 'int64') : g.cast(dim, indices.dtype ?? 'int64');
  return g.where(g.less(indices, 0), g.add(indices, size), indices);
}

/** The size of data along `axis`: a number, or a scalar int64 value. */
function extent(c: GradContext, data: Value, axis: number): Value | number {
  const d = data.shape?.[axis];
  if (typeof d === 'number') return d;
  return c.g.reshape(c.shapeSlice(data, axis, axis + 1), []);
}

function gatherGrad(c: GradContext): (Value | undefined)[] {
  const { g } = c;
  const data = c.x(0);
  const r = c.rank(data);
  const q = c.rank(c.x(1));
  const axis = c.axis(c.attrs.int('axis', 0), r);
  const idx = g.unsqueeze(wrapped(c, c.x(1), extent(c, data, axis)), [-1]);
  if (axis === 0) {
    const zeros = c.zerosLike(data);
    return [c.typedOp('ScatterND', [zeros, idx, c.grad], { reduction: 'add' }, data)];
  }
  // Move `axis` to the front so ScatterND can address it: data [A, D_axis, B] is scattered as [D_axis, A, B].
  const front = [axis, ...Array.from({ length: r }, (_, i) => i).filter((i) => i !== axis)];
  const dyPerm = [...Array.from({ length: q }, (_, i) => axis + i), ...Array.from({ length: axis }, (_, i) => i), ...Array.from({ length: r - 1 - axis }, (_, i) => axis + q + i)];
  const updates = dyPerm.every((p, i) => p === i) ? c.grad : g.transpose(c.grad, dyPerm);
  const ds = data.shape;
  const zerosShape = ds && ds.every((d) => typeof d === 'number')
    ? g.ints(front.map((i) => ds[i] as number))
    : g.op('Gather', [c.shapeOf(data), g.ints(front)], { axis: 0 });
  const zeros = g.op('ConstantOfShape', [zerosShape], { value: fillValue(data.dtype) }, { dtypes: [data.dtype] });
  const scattered = g.op('ScatterND', [zeros, idx, updates], { reduction: 'add' });
  const back = new Array(r);
  front.forEach((p, i) => (back[p] = i));
  return [c.typedOp('Transpose', [scattered], { perm: back }, data)];
}

/** ScatterElements takes negative indices as GatherElements does (ONNX: within [-s, s - 1]): no wrapping. */
function gatherElementsGrad(c: GradContext): (Value | undefined)[] {
  const data = c.x(0);
  const r = c.rank(data);
  const axis = c.axis(c.attrs.int('axis', 0), r);
  return [c.typedOp('ScatterElements', [c.zerosLike(data), c.x(1), c.grad], { axis, reduction: 'add' }, data)];
}


export const gatherRules: Record<string, GradRule> = {
  Gather: { grad: gatherGrad, nondiff: [1] },
  GatherElements: { grad: gatherElementsGrad, nondiff: [1] },
};
