// A tiny linear model y = x W + b built here, with its MSE gradient computed on the host, so that the
// session's machinery is checked on a model whose math is known exactly.
import { GraphBuilder, encodeModel } from '@ortrain/graph-builder';

export const IN = 3;
export const OUT = 2;
export const W0 = Float32Array.from([0.5, -0.25, 0.125, 0.75, -0.5, 0.3]);
export const B0 = Float32Array.from([0.1, -0.2]);

/** The forward model: input 'x' [batch, 3] -> output `output` [batch, 2]; initializers 'W' [3, 2] and 'b' [2]. */
export function tinyModel(output = 'y'): Uint8Array {
  const g = new GraphBuilder('tiny');
  const x = g.input('x', 'float32', ['batch', IN]);
  const W = g.initializer('W', 'float32', [IN, OUT], W0);
  const b = g.initializer('b', 'float32', [OUT], B0);
  g.output(g.add(g.matmul(x, W), b), output, ['batch', OUT]);
  return encodeModel(g.build());
}

/** Host forward pass and MSE gradient (mean over all elements), in float64. */
export function hostMse(W: Float32Array, b: Float32Array, x: Float32Array, y: Float32Array): { loss: number; gW: Float64Array; gb: Float64Array } {
  const n = x.length / IN;
  const gW = new Float64Array(IN * OUT);
  const gb = new Float64Array(OUT);
  let loss = 0;
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < OUT; o++) {
      let p = b[o];
      for (let i = 0; i < IN; i++) p += x[r * IN + i] * W[i * OUT + o];
      const e = p - y[r * OUT + o];
      loss += e * e;
      const d = (2 * e) / (n * OUT);
      gb[o] += d;
      for (let i = 0; i < IN; i++) gW[i * OUT + o] += d * x[r * IN + i];
    }
  }
  return { loss: loss / (n * OUT), gW, gb };
}
