import { GraphBuilder, encodeModel } from '@ortrain/graph-builder';
import { Adam, Parameter } from '@ortrain/optimizers';
import type { Runtime } from '@ortrain/runtime';
import type { Tensor } from 'onnxruntime-common';

/**
 * A few Adam steps on a fixed problem, run wherever `runtime` runs: the same code in Node and in the page.
 * Two ways: @ortrain/optimizers' Adam, and the update graph built here and driven through the runtime alone
 * (so that a runtime fault and an optimizer fault tell themselves apart).
 */

export const SIZE = 257;
export const STEPS = 3;
const LR = 0.01;
const BETAS = [0.9, 0.999] as const;
const EPS = 1e-8;

export interface AdamResult {
  /** 'optimizer' for @ortrain/optimizers' Adam, 'graph' for the graph built here. */
  via: 'optimizer' | 'graph';
  provider: string;
  /** Where the graph's parameters were after the last step ('gpu-buffer' on WebGPU, 'cpu' elsewhere); the optimizer does not say. */
  location?: string;
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

/** STEPS steps of @ortrain/optimizers' Adam on `runtime`, read back through the optimizer. */
export async function optimizerAdamSteps(runtime: Runtime): Promise<AdamResult> {
  const { p0, grads } = problem();
  const w = new Parameter('w', Float32Array.from(p0), [SIZE]);
  const opt = new Adam([w], { lr: LR, betas: [...BETAS], eps: EPS, runtime });
  for (let t = 1; t <= STEPS; t++) {
    w.grad = grads[t - 1];
    await opt.step();
  }
  const params = Array.from(await w.read());
  await opt.sync(); // state on the device (WebGPU) comes back for stateDict()
  const state = opt.stateDict().state[0];
  if (state?.step !== STEPS) throw new Error(`Adam state says step ${state?.step} after ${STEPS} steps`);
  await opt.release();
  return {
    via: 'optimizer',
    provider: runtime.provider,
    params,
    expAvg: Array.from(state.expAvg as Float32Array),
    expAvgSq: Array.from(state.expAvgSq as Float32Array),
  };
}

/** STEPS steps of the graph built here, state kept on the device where it can be, then read back. */
export async function graphAdamSteps(runtime: Runtime): Promise<AdamResult> {
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
    via: 'graph',
    provider: session.provider,
    location: p.location,
    params: Array.from(await runtime.read<Float32Array>(p)),
    expAvg: Array.from(await runtime.read<Float32Array>(m)),
    expAvgSq: Array.from(await runtime.read<Float32Array>(v)),
  };
  await session.release();
  return result;
}
