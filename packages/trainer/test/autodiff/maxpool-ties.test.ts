// MaxPool with tied maxima: the whole gradient of a window goes to its first maximum in row-major order, as
// torch routes it. Finite differences cannot see this (the function has a kink at a tie), so the gradient is
// checked exactly against a plain loop over the windows.
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '@ortrain/graph-builder';
import { buildGradientModel } from '../../src/autodiff';
import { rng, session } from './helpers';

interface Pool { kernel: number[]; strides: number[]; pads?: number[] }

/** dL/dx of sum(MaxPool(x) * w) with 2-D windows, each window's dY routed to its first maximum. */
function reference(x: Float32Array, dims: number[], p: Pool, w: Float32Array, out: number[]): Float32Array {
  const [N, C, H, W] = dims;
  const [oh, ow] = out;
  const pads = p.pads ?? [0, 0, 0, 0];
  const dx = new Float32Array(x.length);
  for (let nc = 0; nc < N * C; nc++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        let best = -Infinity, at = -1;
        for (let a = 0; a < p.kernel[0]; a++) {
          for (let b = 0; b < p.kernel[1]; b++) {
            const h = i * p.strides[0] + a - pads[0], v = j * p.strides[1] + b - pads[1];
            if (h < 0 || h >= H || v < 0 || v >= W) continue;
            const k = nc * H * W + h * W + v;
            if (x[k] > best) { best = x[k]; at = k; }
          }
        }
        dx[at] += w[(nc * oh + i) * ow + j];
      }
    }
  }
  return dx;
}

async function check(dims: number[], p: Pool, values: number[]): Promise<void> {
  const r = rng(3);
  const size = dims.reduce((a, b) => a * b, 1);
  // Few distinct values: most windows hold ties, some all equal.
  const x = Float32Array.from({ length: size }, () => values[Math.floor(r() * values.length)]);
  const g = new GraphBuilder('ties', { opset: 17 });
  const xv = g.initializer('x', 'float32', dims, x);
  const y = g.op('MaxPool', [xv], { kernel_shape: p.kernel, strides: p.strides, ...(p.pads ? { pads: p.pads } : {}) });
  const out = dims.slice(2).map((d, i) => Math.floor((d + (p.pads ? p.pads[i] + p.pads[i + 2] : 0) - p.kernel[i]) / p.strides[i]) + 1);
  const w = Float32Array.from({ length: dims[0] * dims[1] * out[0] * out[1] }, () => r() + 0.5);
  g.output(g.reduceSum(g.mul(y, g.constant(w, 'float32', [dims[0], dims[1], ...out])), undefined, false), 'loss');
  const { model, gradientOutputs } = buildGradientModel(g.build(), { lossOutput: 'loss', trainable: ['x'] });
  const s = await session(model);
  const got = await s.run({ x: new ort.Tensor('float32', x, dims) });
  const dx = got[gradientOutputs.x].data as Float32Array;
  const want = reference(x, dims, p, w, out);
  let ties = 0;
  for (let k = 0; k < want.length; k++) if (want[k] === 0 && x[k] === Math.max(...values)) ties++;
  expect(ties).toBeGreaterThan(0); // the data does hold maxima that get nothing
  expect(Array.from(dx)).toEqual(Array.from(want));
}

describe('MaxPool gradient with ties goes to the first maximum', () => {
  test('2x2 tiling (square, kernel = strides)', () => check([2, 3, 8, 8], { kernel: [2, 2], strides: [2, 2] }, [0, 1, 2]));
  test('3x3 tiling with remainder', () => check([2, 2, 10, 11], { kernel: [3, 3], strides: [3, 3] }, [0, 1]));
  test('2x2 tiling, large output planes (plane by plane)', () => check([2, 3, 16, 18], { kernel: [2, 2], strides: [2, 2] }, [0, 1, 2]));
  test('3x3 tiling with remainder, large output planes', () => check([1, 2, 25, 26], { kernel: [3, 3], strides: [3, 3] }, [0, 1]));
  test('2x3 tiling (not square)', () => check([1, 3, 6, 9], { kernel: [2, 3], strides: [2, 3] }, [0, 1, 2]));
  test('3x3 strides 2 pads 1 (overlapping)', () => check([1, 2, 7, 7], { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, [0, 1]));
  test('3x3 strides 1 (overlapping, every element in up to 9 windows)', () => check([1, 2, 6, 6], { kernel: [3, 3], strides: [1, 1] }, [0, 1]));
  test('all-zero windows (Relu output)', () => check([1, 2, 4, 4], { kernel: [2, 2], strides: [2, 2] }, [0]));
});
