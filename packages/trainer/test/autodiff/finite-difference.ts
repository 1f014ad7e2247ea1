// One finite-difference harness for every gradient rule: a small model around the op under test, the loss
// sum(output_i * W_i) with fixed random W_i, our gradient graph against central differences of the forward
// model, both run by onnxruntime-node's CPU provider. float64 where ORT has double kernels for the op,
// float32 (wider step and tolerance) where it does not.
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '@ortrain/graph-builder';
import type { AttributeValue, DType, Dim, ModelProto, Value } from '@ortrain/graph-builder';
import { buildGradientModel } from '../../src/autodiff';
import { relL2, rng, session } from './helpers';

export type Gen = (r: () => number, i: number, n: number) => number;

export type InputSpec =
  /** A trainable initializer (differentiated). */
  | { param: number[]; gen?: Gen }
  /** A fed graph input (not differentiated); `dims` may name symbolic sizes to exercise dynamic shapes. */
  | { data: number[]; dims?: Dim[]; gen?: Gen }
  /** A fed int64 graph input (indices known only at run time). */
  | { intData: number[]; shape: number[]; dims?: Dim[] }
  /** A frozen initializer: int64 indices or axes, a bool mask, or fixed floats. */
  | { constant: number[] | boolean[]; dtype: DType | 'float'; shape: number[] }
  /** An omitted optional input. */
  | { none: true };

export interface FdCase {
  name: string;
  op?: string;
  attrs?: Record<string, AttributeValue>;
  inputs: InputSpec[];
  /** Number of node outputs (default 1). */
  outputs?: number;
  /** Which outputs enter the loss (default all float outputs). */
  use?: number[];
  /** A small model instead of one node: the outputs of `build` enter the loss. */
  build?: (g: GraphBuilder, inputs: (Value | undefined)[]) => Value[];
  opset?: number;
  /** Skip float64 (ORT's CPU provider lacks a double kernel for the op). */
  float32?: boolean;
}

export const uniform: Gen = (r) => 2 * r() - 1;
/** Uniform in ±[lo, hi]: away from zero (kinks, poles). */
export const awayFromZero = (lo = 0.2, hi = 1.5): Gen => (r) => (r() < 0.5 ? -1 : 1) * (lo + (hi - lo) * r());
export const positive = (lo = 0.3, hi = 1.5): Gen => (r) => lo + (hi - lo) * r();
/** Distinct values at least `gap` apart, in random order (max pooling without near-ties). */
export const distinct = (gap = 0.05): Gen => {
  let perm: number[] = [];
  return (r, i, n) => {
    if (i === 0) {
      perm = [...Array(n).keys()];
      for (let k = n - 1; k > 0; k--) { const j = Math.floor(r() * (k + 1)); [perm[k], perm[j]] = [perm[j], perm[k]]; }
    }
    return (perm[i] - n / 2) * gap;
  };
};
/** Uniform in [lo, hi], moved at least `margin` away from each point in `avoid`. */
export const avoiding = (lo: number, hi: number, avoid: number[], margin = 0.1): Gen => (r) => {
  for (;;) {
    const v = lo + (hi - lo) * r();
    if (avoid.every((a) => Math.abs(v - a) > margin)) return v;
  }
};

interface Built { model: ModelProto; params: string[] }

function values(spec: { gen?: Gen }, shape: number[], r: () => number): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  const gen = spec.gen ?? uniform;
  return Array.from({ length: n }, (_, i) => gen(r, i, n));
}

function buildModel(c: FdCase, dtype: DType, data: Map<number, number[]>, weights: { dims: number[]; values: number[] }[] | undefined, paramsAsInputs: boolean): Built {
  const g = new GraphBuilder('fd', { opset: c.opset ?? 17 });
  const params: string[] = [];
  const ins = c.inputs.map((s, i): Value | undefined => {
    if ('none' in s) return undefined;
    if ('param' in s) {
      const name = `p${i}`;
      params.push(name);
      return paramsAsInputs ? g.input(name, dtype, s.param) : g.initializer(name, dtype, s.param, typed(dtype, data.get(i)!));
    }
    if ('data' in s) return g.input(`x${i}`, dtype, s.dims ?? s.data);
    if ('intData' in s) return g.input(`x${i}`, 'int64', s.dims ?? s.shape);
    const dt: DType = s.dtype === 'float' ? dtype : s.dtype;
    return g.initializer(`c${i}`, dt, s.shape, dt === 'int64' ? BigInt64Array.from((s.constant as number[]).map((v) => BigInt(v))) : dt === 'bool' ? Uint8Array.from((s.constant as boolean[]).map(Number)) : typed(dt, s.constant as number[]));
  });
  let outs: Value[];
  if (c.build) outs = c.build(g, ins);
  else {
    const all = g.node(c.op!, ins, c.attrs ?? {}, { outputs: c.outputs ?? 1 });
    outs = (c.use ?? all.map((_, i) => i)).map((i) => all[i]);
  }
  if (!weights) {
    outs.forEach((o, i) => g.output(o, `out${i}`));
  } else {
    const terms = outs.map((o, i) => g.reduceSum(g.mul(o, g.constant(typed(dtype, weights[i].values), dtype, weights[i].dims)), undefined, false));
    g.output(terms.length === 1 ? terms[0] : g.sum(terms), 'loss');
  }
  return { model: g.build(), params };
}

function typed(dtype: DType, v: number[]): Float32Array | Float64Array {
  return dtype === 'float64' ? Float64Array.from(v) : Float32Array.from(v);
}

function tensor(dtype: DType, v: number[], dims: readonly number[]): ort.Tensor {
  return new ort.Tensor(dtype as 'float32', typed(dtype, v), dims as number[]);
}

export interface FdResult { dtype: DType; errors: Record<string, number>; tolerance: number }

/** Runs one case in float64 (or float32) and returns the relative L2 error of each parameter's gradient. */
export async function checkCase(c: FdCase, seed = 1): Promise<FdResult> {
  if (!c.float32) {
    try {
      return await checkIn(c, 'float64', seed);
    } catch (err) {
      if (!/NOT_IMPLEMENTED|Could not find an implementation|not supported|Type Error|type.*tensor\(double\)/i.test(String((err as Error).message))) throw err;
    }
  }
  return checkIn(c, 'float32', seed);
}

async function checkIn(c: FdCase, dtype: DType, seed: number): Promise<FdResult> {
  const r = rng(seed);
  const data = new Map<number, number[]>();
  c.inputs.forEach((s, i) => {
    if ('param' in s) data.set(i, values(s, s.param, r));
    if ('data' in s) data.set(i, values(s, s.data, r));
  });
  const feedsFor = (paramValues: Map<number, number[]> | undefined): Record<string, ort.Tensor> => {
    const feeds: Record<string, ort.Tensor> = {};
    c.inputs.forEach((s, i) => {
      if ('data' in s) feeds[`x${i}`] = tensor(dtype, data.get(i)!, s.data);
      if ('intData' in s) feeds[`x${i}`] = new ort.Tensor('int64', BigInt64Array.from(s.intData.map(BigInt)), s.shape);
      if ('param' in s && paramValues) feeds[`p${i}`] = tensor(dtype, paramValues.get(i)!, s.param);
    });
    return feeds;
  };
  const paramValues = new Map([...data].filter(([i]) => 'param' in c.inputs[i]));

  // The outputs' sizes fix the loss weights.
  const forward = await session(buildModel(c, dtype, data, undefined, true).model);
  const outs = await forward.run(feedsFor(paramValues));
  const weights = Object.keys(outs).sort().map((k) => ({ dims: [...outs[k].dims], values: values({}, [outs[k].size], r) }));

  const lossModel = await session(buildModel(c, dtype, data, weights, true).model);
  const lossAt = async (pv: Map<number, number[]>) => Number((await lossModel.run(feedsFor(pv))).loss.data[0]);

  const built = buildModel(c, dtype, data, weights, false);
  const { model: gradModel, gradientOutputs } = buildGradientModel(built.model, { lossOutput: 'loss', trainable: built.params });
  const gs = await session(gradModel);
  const gfeeds = feedsFor(undefined);
  c.inputs.forEach((s, i) => { if ('param' in s) gfeeds[`p${i}`] = tensor(dtype, paramValues.get(i)!, s.param); });
  const got = await gs.run(gfeeds);
  const loss0 = await lossAt(paramValues);
  const gotLoss = Number(got.loss.data[0]);
  if (Math.abs(gotLoss - loss0) > 1e-6 * Math.max(1, Math.abs(loss0)) * (dtype === 'float32' ? 100 : 1)) {
    throw new Error(`${c.name}: the training graph's loss ${gotLoss} differs from the forward model's ${loss0}`);
  }

  const h = dtype === 'float64' ? 1e-6 : 4e-3;
  const errors: Record<string, number> = {};
  for (const [i, base] of paramValues) {
    const name = `p${i}`;
    const analytic = Array.from(got[gradientOutputs[name]].data as ArrayLike<number>);
    if (analytic.length !== base.length) throw new Error(`${c.name}: gradient of ${name} has ${analytic.length} entries, the param ${base.length}`);
    // Every entry of small params, a seeded sample of large ones.
    const picks = base.length <= 48 ? [...base.keys()] : Array.from({ length: 48 }, () => Math.floor(r() * base.length));
    const numeric: number[] = [];
    const ours: number[] = [];
    for (const k of picks) {
      const plus = [...base], minus = [...base];
      plus[k] += h; minus[k] -= h;
      const fp = await lossAt(new Map([...paramValues, [i, plus]]));
      const fm = await lossAt(new Map([...paramValues, [i, minus]]));
      numeric.push((fp - fm) / (2 * h));
      ours.push(analytic[k]);
    }
    errors[name] = relL2(ours, numeric);
  }
  return { dtype, errors, tolerance: dtype === 'float64' ? 1e-6 : 1e-2 };
}

/** One jest test per case: every parameter's gradient within the tolerance of its finite differences. */
export function runCases(title: string, cases: FdCase[]): void {
  describe(title, () => {
    for (const c of cases) {
      test(c.name, async () => {
        const res = await checkCase(c);
        for (const [p, e] of Object.entries(res.errors)) {
          if (!(e < res.tolerance)) throw new Error(`${c.name} (${res.dtype}): gradient of ${p} has relative error ${e} (tolerance ${res.tolerance})`);
        }
        expect(Object.keys(res.errors).length).toBeGreaterThan(0);
      });
    }
  });
}
