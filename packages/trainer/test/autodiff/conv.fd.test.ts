import { FdCase, runCases } from './finite-difference';

const conv = (name: string, x: number[], w: number[], attrs: FdCase['attrs'] = {}, bias = true): FdCase => ({
  name, op: 'Conv', attrs, float32: true,
  inputs: [{ param: x }, { param: w }, ...(bias ? [{ param: [w[0]] }] : [])],
});

const cases: FdCase[] = [
  conv('2-D plain', [2, 3, 6, 6], [4, 3, 3, 3]),
  conv('2-D no bias', [1, 2, 5, 5], [3, 2, 3, 3], {}, false),
  conv('2-D strides 2 (floor remainder)', [2, 2, 7, 6], [3, 2, 3, 3], { strides: [2, 2] }),
  conv('2-D pads 1', [1, 2, 5, 5], [3, 2, 3, 3], { pads: [1, 1, 1, 1] }),
  conv('2-D asymmetric pads, strides 2', [1, 2, 6, 7], [2, 2, 3, 2], { pads: [0, 1, 2, 1], strides: [2, 2] }),
  conv('2-D dilations 2', [1, 2, 7, 7], [2, 2, 3, 3], { dilations: [2, 2] }),
  conv('2-D dilations, strides, pads', [2, 2, 9, 8], [3, 2, 3, 2], { dilations: [2, 1], strides: [2, 3], pads: [1, 0, 2, 1] }),
  conv('2-D groups 2', [2, 4, 5, 5], [6, 2, 3, 3], { group: 2 }),
  conv('2-D depthwise', [2, 3, 6, 6], [3, 1, 3, 3], { group: 3, pads: [1, 1, 1, 1] }),
  conv('2-D depthwise multiplier 2, strides 2', [1, 3, 7, 7], [6, 1, 3, 3], { group: 3, strides: [2, 2], pads: [1, 1, 1, 1] }),
  conv('2-D auto_pad SAME_UPPER strides 2', [1, 2, 7, 6], [2, 2, 3, 3], { auto_pad: 'SAME_UPPER', strides: [2, 2] }),
  conv('2-D auto_pad SAME_LOWER', [1, 2, 6, 6], [2, 2, 4, 4], { auto_pad: 'SAME_LOWER' }),
  conv('2-D auto_pad VALID', [1, 2, 6, 5], [2, 2, 3, 2], { auto_pad: 'VALID' }),
  conv('2-D 1x1 kernel strides 2', [2, 4, 5, 5], [3, 4, 1, 1], { strides: [2, 2] }),
  conv('2-D explicit kernel_shape', [1, 2, 5, 5], [3, 2, 3, 3], { kernel_shape: [3, 3] }),
  conv('1-D plain', [2, 3, 10], [4, 3, 3]),
  conv('1-D strides 2, pads, dilations 2', [2, 2, 11], [3, 2, 3], { strides: [2], pads: [2, 1], dilations: [2] }),
  conv('1-D groups 2', [1, 4, 9], [4, 2, 3], { group: 2, pads: [1, 1] }),
  conv('1-D depthwise', [2, 4, 8], [4, 1, 5], { group: 4, pads: [2, 2] }),
  conv('3-D', [1, 2, 4, 4, 4], [2, 2, 2, 2, 2], { strides: [1, 2, 1] }),
  { ...conv('ConvTranspose 2-D', [2, 3, 4, 4], [3, 2, 3, 3]), op: 'ConvTranspose', inputs: [{ param: [2, 3, 4, 4] }, { param: [3, 2, 3, 3] }, { param: [2] }] },
  { ...conv('ConvTranspose strides 2, output_padding 1, pads', [1, 2, 4, 3], [2, 3, 3, 3]), op: 'ConvTranspose', attrs: { strides: [2, 2], output_padding: [1, 1], pads: [1, 0, 1, 1] }, inputs: [{ param: [1, 2, 4, 3] }, { param: [2, 3, 3, 3] }, { param: [3] }] },
  { ...conv('ConvTranspose dilations 2, groups 2', [1, 4, 4, 4], [4, 1, 2, 2]), op: 'ConvTranspose', attrs: { dilations: [2, 2], group: 2 }, inputs: [{ param: [1, 4, 4, 4] }, { param: [4, 1, 2, 2] }] },
  { ...conv('ConvTranspose 1-D strides 3', [2, 2, 5], [2, 3, 4]), op: 'ConvTranspose', attrs: { strides: [3], pads: [1, 2] }, inputs: [{ param: [2, 2, 5] }, { param: [2, 3, 4] }, { param: [3] }] },
  conv('2-D one input channel (weight gradient by reshapes, no transposes)', [3, 1, 7, 7], [4, 1, 3, 3]),
  conv('2-D one output channel', [2, 3, 5, 5], [1, 3, 3, 3], { pads: [1, 1, 1, 1] }),
  {
    name: '2-D one input channel, batch known only at run time',
    float32: true,
    inputs: [{ data: [3, 1, 6, 6], dims: ['N', 1, 6, 6] }, { param: [1, 1, 1] }, { param: [2, 1, 3, 3] }, { param: [2] }],
    build: (g, [x, shift, w, b]) => [g.op('Conv', [g.add(x!, shift!), w!, b!], { strides: [2, 2] })],
  },
  {
    name: '2-D with spatial sizes known only at run time',
    float32: true,
    inputs: [{ data: [2, 2, 7, 6], dims: ['N', 2, 'H', 'W'] }, { param: [2, 1, 1] }, { param: [3, 2, 3, 3] }, { param: [3] }],
    build: (g, [x, shift, w, b]) => [g.op('Conv', [g.add(x!, shift!), w!, b!], { strides: [2, 2], pads: [1, 0, 1, 1] })],
  },
  {
    name: '2-D depthwise, spatial sizes known only at run time',
    float32: true,
    inputs: [{ data: [2, 4, 6, 5], dims: ['N', 4, 'H', 'W'] }, { param: [4, 1, 1] }, { param: [4, 1, 3, 3] }],
    build: (g, [x, shift, w]) => [g.op('Conv', [g.mul(x!, shift!), w!], { group: 4, pads: [1, 1, 1, 1], strides: [2, 1] })],
  },
  {
    name: '1-D with dynamic length',
    float32: true,
    inputs: [{ data: [2, 3, 11], dims: ['N', 3, 'L'] }, { param: [3, 1] }, { param: [4, 3, 3] }],
    build: (g, [x, shift, w]) => [g.op('Conv', [g.add(x!, shift!), w!], { dilations: [2], pads: [1, 2] })],
  },
];

runCases('finite differences: Conv', cases);
