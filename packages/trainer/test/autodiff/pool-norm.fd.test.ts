import { floatAttr } from '@ortrain/graph-builder';
import { FdCase, distinct, runCases } from './finite-difference';

const pool = (name: string, op: string, x: number[], attrs: FdCase['attrs']): FdCase => ({
  name: `${op} ${name}`, op, attrs, float32: op !== 'MaxPool',
  inputs: [{ param: x, gen: op === 'MaxPool' ? distinct(0.05) : undefined }],
});

/** A shift of distinct(0.05) values to odd multiples of 0.025, about 70% of them below 0. */
const mostlyNegative = (x: number[]) => 0.025 - 0.05 * Math.round(0.2 * x.reduce((a, b) => a * b, 1));

const cases: FdCase[] = [
  pool('2x2 tiling', 'MaxPool', [2, 3, 6, 6], { kernel_shape: [2, 2], strides: [2, 2] }),
  pool('2x2 tiling with remainder', 'MaxPool', [1, 2, 5, 7], { kernel_shape: [2, 2], strides: [2, 2] }),
  pool('2x2 tiling, output planes of 64 and more (plane by plane)', 'MaxPool', [2, 2, 16, 18], { kernel_shape: [2, 2], strides: [2, 2] }),
  pool('2x2 tiling with remainder, large planes', 'MaxPool', [1, 2, 17, 17], { kernel_shape: [2, 2], strides: [2, 2] }),
  {
    name: 'MaxPool 2x2 tiling, large planes, batch and channels known only at run time',
    inputs: [{ data: [2, 2, 16, 16], dims: ['N', 'C', 16, 16], gen: distinct(0.05) }, { param: [1], gen: () => 1.3 }],
    build: (g, [x, s]) => [g.op('MaxPool', [g.mul(x!, s!)], { kernel_shape: [2, 2], strides: [2, 2] })],
  },
  pool('3x3 tiling', 'MaxPool', [2, 2, 9, 9], { kernel_shape: [3, 3], strides: [3, 3] }),
  pool('3x3 tiling with remainder', 'MaxPool', [1, 2, 10, 11], { kernel_shape: [3, 3], strides: [3, 3] }),
  pool('2x3 tiling (not square)', 'MaxPool', [2, 2, 6, 7], { kernel_shape: [2, 3], strides: [2, 3] }),
  {
    name: 'MaxPool 2x2 tiling, batch and channels known only at run time', float32: false,
    inputs: [{ data: [2, 3, 6, 6], dims: ['N', 'C', 6, 6], gen: distinct(0.05) }, { param: [1], gen: () => 1.3 }],
    build: (g, [x, s]) => [g.op('MaxPool', [g.mul(x!, s!)], { kernel_shape: [2, 2], strides: [2, 2] })],
  },
  {
    name: 'MaxPool 2x2 tiling, batch known only at run time',
    inputs: [{ data: [2, 3, 4, 6], dims: ['N', 3, 4, 6], gen: distinct(0.5) }, { param: [3, 4, 6], gen: (r) => 0.2 * r() - 0.1 }],
    build: (g, [x, s]) => [g.op('MaxPool', [g.add(x!, s!)], { kernel_shape: [2, 2], strides: [2, 2] })],
  },
  pool('3x3 strides 2 pads 1 (overlapping)', 'MaxPool', [2, 2, 7, 7], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
  pool('3x3 strides 1', 'MaxPool', [1, 2, 5, 5], { kernel_shape: [3, 3] }),
  pool('ceil_mode', 'MaxPool', [1, 2, 6, 6], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }),
  pool('dilations 2', 'MaxPool', [1, 1, 7, 7], { kernel_shape: [2, 2], dilations: [2, 2] }),
  pool('1-D', 'MaxPool', [2, 3, 9], { kernel_shape: [3], strides: [2] }),
  pool('1-D tiling', 'MaxPool', [2, 3, 8], { kernel_shape: [2], strides: [2] }),
  pool('auto_pad SAME_UPPER', 'MaxPool', [1, 2, 5, 5], { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'SAME_UPPER' }),
  // A Relu before the MaxPool: the ReLU mask goes on dY over the pooled tensor (rules/pool.ts). Inputs are odd
  // multiples of 0.025 (no kink at 0), about 70% of them negative, so that many windows are all negative and
  // tie at 0 after the Relu.
  ...([
    ['2x2 tiling', [2, 3, 6, 6], { kernel_shape: [2, 2], strides: [2, 2] }],
    ['2x2 tiling, large planes', [2, 2, 16, 18], { kernel_shape: [2, 2], strides: [2, 2] }],
    ['2x2 tiling with remainder', [1, 2, 5, 7], { kernel_shape: [2, 2], strides: [2, 2] }],
    ['2x3 tiling', [2, 2, 6, 7], { kernel_shape: [2, 3], strides: [2, 3] }],
    ['3x3 strides 2 pads 1 (overlapping)', [2, 2, 7, 7], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
  ] as [string, number[], FdCase['attrs']][]).map(([name, x, attrs]): FdCase => ({
    name: `Relu then MaxPool ${name}`,
    inputs: [{ param: x, gen: distinct(0.05) }],
    build: (g, [v]) => [g.op('MaxPool', [g.op('Relu', [g.add(v!, mostlyNegative(x))])], attrs)],
  })),
  {
    name: 'Relu read by a MaxPool and by the loss (its gradient is a sum: the Relu masks it)',
    inputs: [{ param: [2, 2, 6, 6], gen: distinct(0.05) }],
    build: (g, [v]) => {
      const r = g.op('Relu', [g.add(v!, mostlyNegative([2, 2, 6, 6]))]);
      return [g.op('MaxPool', [r], { kernel_shape: [2, 2], strides: [2, 2] }), r];
    },
  },
  pool('2x2 strides 2', 'AveragePool', [2, 3, 6, 6], { kernel_shape: [2, 2], strides: [2, 2] }),
  pool('3x3 strides 2 pads 1 count_include_pad 0', 'AveragePool', [1, 2, 7, 7], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
  pool('3x3 strides 2 pads 1 count_include_pad 1', 'AveragePool', [1, 2, 7, 7], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 }),
  pool('asymmetric pads', 'AveragePool', [1, 2, 6, 5], { kernel_shape: [3, 2], pads: [0, 1, 2, 0], count_include_pad: 1 }),
  pool('ceil_mode count_include_pad 0', 'AveragePool', [1, 2, 6, 6], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }),
  pool('ceil_mode count_include_pad 1 pads 1', 'AveragePool', [1, 2, 6, 6], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: 1 }),
  pool('1-D', 'AveragePool', [2, 3, 9], { kernel_shape: [3], strides: [2], pads: [1, 1] }),
  pool('auto_pad SAME_LOWER', 'AveragePool', [1, 2, 5, 5], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_LOWER' }),
  {
    name: 'AveragePool with spatial sizes known only at run time', float32: true,
    inputs: [{ data: [2, 2, 7, 6], dims: ['N', 2, 'H', 'W'] }, { param: [2, 1, 1] }],
    build: (g, [x, s]) => [g.op('AveragePool', [g.mul(x!, s!)], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })],
  },
  { name: 'GlobalAveragePool', op: 'GlobalAveragePool', float32: true, inputs: [{ param: [2, 3, 4, 5] }] },
  {
    name: 'GlobalAveragePool with dynamic sizes', float32: true,
    inputs: [{ data: [2, 3, 4, 5], dims: ['N', 3, 'H', 'W'] }, { param: [3, 1, 1] }],
    build: (g, [x, s]) => [g.op('GlobalAveragePool', [g.mul(x!, s!)])],
  },
  { name: 'GlobalMaxPool', op: 'GlobalMaxPool', float32: true, inputs: [{ param: [2, 3, 4, 5], gen: distinct(0.05) }] },
  {
    name: 'BatchNormalization 4-D (scale, bias, input)', op: 'BatchNormalization', attrs: { epsilon: floatAttr(1e-3) },
    inputs: [{ param: [2, 3, 4, 4] }, { param: [3] }, { param: [3] }, { constant: [0.1, -0.2, 0.3], dtype: 'float', shape: [3] }, { constant: [0.5, 1.2, 2.0], dtype: 'float', shape: [3] }],
  },
  {
    name: 'BatchNormalization 2-D', op: 'BatchNormalization',
    inputs: [{ param: [4, 3] }, { param: [3] }, { param: [3] }, { constant: [0.1, -0.2, 0.3], dtype: 'float', shape: [3] }, { constant: [0.5, 1.2, 2.0], dtype: 'float', shape: [3] }],
  },
  {
    name: 'BatchNormalization 3-D, dynamic batch',
    inputs: [{ data: [2, 3, 5], dims: ['N', 3, 5] }, { param: [3, 1] }, { param: [3] }, { param: [3] }],
    build: (g, [x, s, scale, bias]) => [g.op('BatchNormalization', [g.mul(x!, s!), scale!, bias!, g.constant([0.1, -0.2, 0.3], x!.dtype, [3]), g.constant([0.5, 1.2, 2.0], x!.dtype, [3])])],
  },
  { name: 'InstanceNormalization 2-D', op: 'InstanceNormalization', inputs: [{ param: [2, 3, 4, 5] }, { param: [3] }, { param: [3] }] },
  { name: 'InstanceNormalization 1-D, epsilon', op: 'InstanceNormalization', attrs: { epsilon: floatAttr(1e-2) }, inputs: [{ param: [2, 3, 6] }, { param: [3] }, { param: [3] }] },
  {
    name: 'GroupNorm as PyTorch exports it (InstanceNormalization over groups, then scale and shift)',
    inputs: [{ param: [2, 4, 3, 3] }, { param: [4, 1, 1] }, { param: [4, 1, 1] }],
    build: (g, [x, w, b]) => {
      const grouped = g.reshape(x!, [2, 2, -1]);
      const ones = g.constant([1, 1], x!.dtype!, [2]), zeros = g.constant([0, 0], x!.dtype!, [2]);
      const normed = g.op('InstanceNormalization', [grouped, ones, zeros], { epsilon: floatAttr(1e-5) });
      return [g.add(g.mul(g.reshape(normed, [2, 4, 3, 3]), w!), b!)];
    },
  },
  { name: 'LayerNormalization last axis', op: 'LayerNormalization', inputs: [{ param: [2, 3, 4] }, { param: [4] }, { param: [4] }] },
  { name: 'LayerNormalization axis 1', op: 'LayerNormalization', attrs: { axis: 1, epsilon: floatAttr(1e-3) }, inputs: [{ param: [2, 3, 4] }, { param: [3, 4] }, { param: [3, 4] }] },
  { name: 'LayerNormalization no bias, axis -2', op: 'LayerNormalization', attrs: { axis: -2 }, inputs: [{ param: [2, 3, 4] }, { param: [3, 4] }] },
  { name: 'LayerNormalization broadcast scale', op: 'LayerNormalization', attrs: { axis: 1 }, inputs: [{ param: [2, 3, 4] }, { param: [4] }, { param: [1, 4] }] },
  {
    name: 'LayerNormalization dynamic batch and sequence',
    inputs: [{ data: [2, 3, 4], dims: ['B', 'T', 4] }, { param: [4] }, { param: [4] }, { param: [4] }],
    build: (g, [x, s, scale, bias]) => [g.op('LayerNormalization', [g.add(x!, s!), scale!, bias!], { axis: -1 })],
  },
];

runCases('finite differences: pooling and normalisation', cases);
