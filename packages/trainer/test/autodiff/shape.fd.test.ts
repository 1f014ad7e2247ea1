import { floatAttr } from '@ortrain/graph-builder';
import { FdCase, runCases } from './finite-difference';

const i64 = (values: number[]) => ({ constant: values, dtype: 'int64' as const, shape: [values.length] });
const BIG = 2 ** 62;

const cases: FdCase[] = [
  { name: 'Identity', op: 'Identity', inputs: [{ param: [2, 3] }] },
  { name: 'Dropout (inference)', op: 'Dropout', outputs: 2, use: [0], inputs: [{ param: [2, 3] }] },
  {
    name: 'Cast float32 -> float64 -> float32',
    float32: true,
    inputs: [{ param: [2, 3] }],
    build: (g, [x]) => [g.mul(g.cast(g.mul(g.cast(x!, 'float64'), g.constant(1.5, 'float64')), 'float32'), x!)],
  },
  { name: 'Flatten axis 1', op: 'Flatten', inputs: [{ param: [2, 3, 4] }] },
  { name: 'Flatten axis 0', op: 'Flatten', attrs: { axis: 0 }, inputs: [{ param: [2, 3, 4] }] },
  { name: 'Flatten axis -1', op: 'Flatten', attrs: { axis: -1 }, inputs: [{ param: [2, 3, 4] }] },
  { name: 'Reshape with 0 and -1', op: 'Reshape', inputs: [{ param: [2, 3, 4] }, i64([0, -1, 2])] },
  {
    name: 'Reshape of a dynamic batch',
    inputs: [{ data: [2, 3, 4], dims: ['N', 3, 4] }, { param: [3, 4] }],
    build: (g, [x, p]) => [g.reshape(g.mul(x!, p!), [0, 12])],
  },
  { name: 'Transpose default (reverse)', op: 'Transpose', inputs: [{ param: [2, 3, 4] }] },
  { name: 'Transpose perm', op: 'Transpose', attrs: { perm: [1, 2, 0] }, inputs: [{ param: [2, 3, 4] }] },
  { name: 'Squeeze axes', op: 'Squeeze', inputs: [{ param: [2, 1, 3, 1] }, i64([1, -1])] },
  { name: 'Squeeze all', op: 'Squeeze', inputs: [{ param: [1, 3, 1] }] },
  { name: 'Squeeze opset 11 attribute', op: 'Squeeze', opset: 11, attrs: { axes: [0] }, inputs: [{ param: [1, 3] }] },
  { name: 'Unsqueeze', op: 'Unsqueeze', inputs: [{ param: [2, 3] }, i64([0, 3])] },
  { name: 'Unsqueeze opset 11 attribute', op: 'Unsqueeze', opset: 11, attrs: { axes: [1] }, inputs: [{ param: [2, 3] }] },
  { name: 'Concat axis 0 with a constant', op: 'Concat', attrs: { axis: 0 }, inputs: [{ param: [2, 3] }, { constant: [1, 2, 3], dtype: 'float', shape: [1, 3] }, { param: [3, 3] }] },
  { name: 'Concat axis -1', op: 'Concat', attrs: { axis: -1 }, inputs: [{ param: [2, 3] }, { param: [2, 1] }] },
  {
    name: 'Concat with dynamic sizes',
    inputs: [{ data: [2, 3], dims: ['N', 'M'] }, { param: [2, 2] }],
    build: (g, [x, p]) => [g.concat([g.mul(x!, g.reduceSum(p!)), p!], 1)],
  },
  { name: 'Split equal', op: 'Split', attrs: { axis: 1 }, outputs: 3, inputs: [{ param: [2, 6] }] },
  { name: 'Split sizes input', op: 'Split', outputs: 2, inputs: [{ param: [5, 2] }, i64([2, 3])] },
  { name: 'Split one output unused', op: 'Split', attrs: { axis: 1 }, outputs: 3, use: [0, 2], inputs: [{ param: [2, 6] }] },
  { name: 'Split num_outputs uneven (opset 18)', op: 'Split', opset: 18, attrs: { axis: 0, num_outputs: 2 }, outputs: 2, inputs: [{ param: [5, 2] }] },
  { name: 'Split opset 11 attribute', op: 'Split', opset: 11, attrs: { axis: 0, split: [1, 3] }, outputs: 2, inputs: [{ param: [4, 2] }] },
  { name: 'Slice steps 1', op: 'Slice', inputs: [{ param: [4, 5] }, i64([1, 0]), i64([3, 4])] },
  { name: 'Slice negative and out-of-range', op: 'Slice', inputs: [{ param: [4, 5] }, i64([-3, 1]), i64([BIG, -1]), i64([0, 1])] },
  { name: 'Slice steps 2', op: 'Slice', inputs: [{ param: [5, 6] }, i64([0, 1]), i64([5, 6]), i64([0, 1]), i64([2, 2])] },
  { name: 'Slice negative step', op: 'Slice', inputs: [{ param: [5, 6] }, i64([-1]), i64([-BIG]), i64([1]), i64([-2])] },
  { name: 'Slice empty result elsewhere', op: 'Slice', inputs: [{ param: [4, 3] }, i64([2]), i64([3]), i64([0])] },
  {
    name: 'Slice of a dynamic axis, open end',
    inputs: [{ data: [3, 4], dims: ['N', 4] }, { param: [4] }],
    build: (g, [x, p]) => [g.slice(g.mul(x!, p!), [1], [BIG], [0])],
  },
  {
    name: 'Slice of a dynamic axis with step and negative start',
    inputs: [{ data: [5, 4], dims: ['N', 4] }, { param: [4] }],
    build: (g, [x, p]) => [g.slice(g.mul(x!, p!), [-1], [-BIG], [0], [-2])],
  },
  { name: 'Slice opset 9 attributes', op: 'Slice', opset: 9, attrs: { starts: [1], ends: [3], axes: [1] }, inputs: [{ param: [2, 4] }] },
  { name: 'Expand', op: 'Expand', inputs: [{ param: [3, 1] }, i64([2, 3, 4])] },
  { name: 'Expand with ones', op: 'Expand', inputs: [{ param: [2, 3] }, i64([1, 1])] },
  { name: 'Tile', op: 'Tile', inputs: [{ param: [2, 3] }, i64([2, 3])] },
  { name: 'Pad constant', op: 'Pad', inputs: [{ param: [2, 3] }, i64([1, 0, 2, 1])] },
  { name: 'Pad opset 10 attributes', op: 'Pad', opset: 10, attrs: { pads: [0, 1, 1, 0], value: floatAttr(0.5) }, inputs: [{ param: [2, 3] }] },
  { name: 'Dropout opset 10 ratio attribute', op: 'Dropout', opset: 10, attrs: { ratio: floatAttr(0.3) }, inputs: [{ param: [2, 3] }] },
  { name: 'Pad with negative pads', op: 'Pad', inputs: [{ param: [4, 3] }, i64([-1, 1, 0, -1])] },
  { name: 'CumSum', op: 'CumSum', inputs: [{ param: [3, 4] }, { constant: [1], dtype: 'int64', shape: [] }] },
  { name: 'CumSum reverse exclusive', op: 'CumSum', attrs: { reverse: 1, exclusive: 1 }, inputs: [{ param: [3, 4] }, { constant: [0], dtype: 'int64', shape: [] }] },
  {
    name: 'no-gradient ops on side paths (Shape, ConstantOfShape, Range, Equal, ArgMax, Floor)',
    inputs: [{ param: [3, 4] }],
    build: (g, [p]) => {
      const shape = g.shape(p!);
      const ones = g.constantOfShape(shape, 1, p!.dtype);
      const range = g.cast(g.op('Range', [g.constant(0, 'int64'), g.constant(4, 'int64'), g.constant(1, 'int64')]), p!.dtype!);
      const mask = g.cast(g.equal(g.op('ArgMax', [p!], { axis: 1, keepdims: 1 }, { dtypes: ['int64'] }), g.constant(2, 'int64')), p!.dtype!);
      return [g.add(g.mul(g.mul(p!, ones), range), g.mul(g.op('Floor', [p!]), mask))];
    },
  },
  {
    name: 'Resize nearest x2 (asymmetric, floor: PyTorch\'s export)', op: 'Resize', float32: true,
    attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' },
    inputs: [{ param: [1, 2, 3, 4] }, { none: true }, { constant: [1, 1, 2, 2], dtype: 'float32', shape: [4] }],
  },
  {
    name: 'Resize nearest x3 on one axis (half_pixel)', op: 'Resize', float32: true,
    attrs: { mode: 'nearest' },
    inputs: [{ param: [2, 2, 3] }, { none: true }, { constant: [1, 1, 3], dtype: 'float32', shape: [3] }],
  },
  {
    name: 'Resize nearest by sizes of two axes (opset 18), dynamic batch', float32: true, opset: 18,
    inputs: [{ data: [2, 2, 3, 3], dims: ['N', 2, 3, 3] }, { param: [2, 1, 1] }],
    build: (g, [x, s]) => [g.op('Resize', [g.mul(x!, s!), undefined, undefined, g.ints([6, 9])], { mode: 'nearest', axes: [2, 3], coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' })],
  },
  { name: 'Trilu lower', op: 'Trilu', attrs: { upper: 0 }, inputs: [{ param: [3, 4] }] },
  { name: 'Trilu upper with k', op: 'Trilu', inputs: [{ param: [2, 3, 3] }, { constant: [1], dtype: 'int64', shape: [] }] },
];

runCases('finite differences: shape and data movement', cases);
