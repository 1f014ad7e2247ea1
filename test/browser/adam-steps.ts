import { GraphBuilder, encodeModel } from '@ortrain/graph-builder';
import type { Runtime } from '@ortrain/runtime';
import type { Tensor } from 'onnxruntime-common';

/** A few Adam steps on a fixed problem, run wherever `runtime` runs: the same code in Node and in the page. */

export const SIZE = 257;
export const STEPS = 3;
const LR = 0.01;
const BETAS = [0.9, 0.999] as const;
const EPS = 1e-8;

export interface AdamResult {
  provider: string;
  /** Where the parameters were after the last step ('gpu-buffer' on WebGPU, 'cpu' elsewhere). */
  location: string;
  params: number[];
  expAvg: number[];
  expAvgSq: number[];
}

/** Starting parameters and the gradient of each step: deterministic, varied in sign and size. */
export function problem(): { p0: Float32Array; grads: Float32Array[] } {
  const p0 = Float32Array.from({ length: SIZE }, (_, i) => Math.sin(i) * 2);
  const grads = Array.from({ length: STEPS }, (_, s) => Float32Array.from({ length: SIZE }, (_, i) => Math.cos(i * 0.37 + s) * (1 + (i % 5))));
  return { p0, grads };
}

/**
 * torch.optim.Adam's update (amsgrad off, no weight decay) as one ONNX graph; the step's bias corrections
 * come in as inputs, so one session serves every step.
 */
function adamModel(n: number): Uint8Array {
  const g = new GraphBuilder('adam');
  const p = g.input('param', 'float32', [n]);
  const grad = g.input('grad', 'float32', [n]);
  const m = g.input('exp_avg', 'float32', [n]);
  const v = g.input('exp_avg_sq', 'float32', [n]);
  const stepSize = g.input('step_size', 'float32', []); // lr / (1 - beta1^t)
  const bias2Sqrt = g.input('bias2_sqrt', 'float32', []); // sqrt(1 - beta2^t)
  const m2 = g.add(g.mul(m, BETAS[0]), g.mul(grad, 1 - BETAS[0]));
  const v2 = g.add(g.mul(v, BETAS[1]), g.mul(g.mul(grad, grad), 1 - BETAS[1]));
  const denom = g.add(g.div(g.sqrt(v2), bias2Sqrt), EPS);
  g.output(g.sub(p, g.mul(stepSize, g.div(m2, denom))), 'param_out');
  g.output(m2, 'exp_avg_out');
  g.output(v2, 'exp_avg_sq_out');
  return encodeModel(g.build());
}

/** Runs STEPS Adam steps on `runtime`, state kept on the device where it can be, and reads the results. */
export async function adamSteps(runtime: Runtime): Promise<AdamResult> {
  const { p0, grads } = problem();
  const T = runtime.Tensor;
  const session = await runtime.createSession(adamModel(SIZE), { deviceOutputs: true });
  let p: Tensor = new T('float32', p0, [SIZE]);
  let m: Tensor = new T('float32', new Float32Array(SIZE), [SIZE]);
  let v: Tensor = new T('float32', new Float32Array(SIZE), [SIZE]);
  for (let t = 1; t <= STEPS; t++) {
    const out = await session.run({
      param: p,
      grad: new T('float32', grads[t - 1], [SIZE]),
      exp_avg: m,
      exp_avg_sq: v,
      step_size: new T('float32', new Float32Array([LR / (1 - BETAS[0] ** t)]), []),
      bias2_sqrt: new T('float32', new Float32Array([Math.sqrt(1 - BETAS[1] ** t)]), []),
    });
    if (t > 1) for (const old of [p, m, v]) old.dispose();
    [p, m, v] = [out.param_out, out.exp_avg_out, out.exp_avg_sq_out];
  }
  const result: AdamResult = {
    provider: session.provider,
    location: p.location,
    params: Array.from(await runtime.read<Float32Array>(p)),
    expAvg: Array.from(await runtime.read<Float32Array>(m)),
    expAvgSq: Array.from(await runtime.read<Float32Array>(v)),
  };
  await session.release();
  return result;
}
