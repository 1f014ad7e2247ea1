// A tiny linear model y = x W + b built here, and (until the autodiff lands everywhere) its gradient graph
// written by hand, so that the session's machinery can be tested on a model whose math is known exactly.
import { GraphBuilder, ModelProto, TensorProto, Value, encodeModel, tensorToArray } from '@ortrain/graph-builder';

export const IN = 3;
export const OUT = 2;
export const W0 = Float32Array.from([0.5, -0.25, 0.125, 0.75, -0.5, 0.3]);
export const B0 = Float32Array.from([0.1, -0.2]);

/** The forward model: input 'x' [batch, 3] -> output 'y' [batch, 2]; initializers 'W' [3, 2] and 'b' [2]. */
export function tinyModel(): Uint8Array {
  const g = new GraphBuilder('tiny');
  const x = g.input('x', 'float32', ['batch', IN]);
  const W = g.initializer('W', 'float32', [IN, OUT], W0);
  const b = g.initializer('b', 'float32', [OUT], B0);
  g.output(g.add(g.matmul(x, W), b), 'y', ['batch', OUT]);
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

/** A hand-written buildGradientGraph for the tiny model only (MatMul + Add, any loss). */
export function handGradientGraph(model: ModelProto, options: { loss?: { build: (g: GraphBuilder, p: Value, l: Value) => Value; labels: { name: string; dtype: 'float32'; shape: (number | string)[] } } }) {
  const g = new GraphBuilder('tiny_training');
  const init = new Map((model.graph!.initializer ?? []).map((t: TensorProto) => [t.name!, t]));
  const x = g.input('x', 'float32', ['batch', IN]);
  const W = g.input('W', 'float32', [IN, OUT]);
  const b = g.input('b', 'float32', [OUT]);
  const labels = g.input(options.loss!.labels.name, 'float32', ['batch', OUT]);
  const pred = g.add(g.matmul(x, W), b);
  const loss = options.loss!.build(g, pred, labels);
  // d mse / d pred = 2 (pred - labels) / numel
  const numel = g.cast(g.size(pred), 'float32');
  const dpred = g.div(g.mul(g.sub(pred, labels), 2), numel);
  const gW = g.matmul(g.transpose(x, [1, 0]), dpred);
  const gb = g.reduceSum(dpred, [0]);
  return {
    builder: g, loss, outputs: { y: pred },
    params: [
      { name: 'W', value: W, dtype: 'float32' as const, dims: [IN, OUT], initial: tensorToArray(init.get('W')!) as Float32Array },
      { name: 'b', value: b, dtype: 'float32' as const, dims: [OUT], initial: tensorToArray(init.get('b')!) as Float32Array },
    ],
    grads: new Map([['W', gW], ['b', gb]]),
    frozen: [] as string[],
  };
}
