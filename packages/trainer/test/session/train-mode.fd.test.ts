// BatchNormalization in training mode (train-mode.ts) against central finite differences in float64: the
// gradient through the batch statistics reaches the parameters before the normalisation, and the running
// statistics follow torch's update (momentum, unbiased variance).
import * as ort from 'onnxruntime-node';
import { GraphBuilder, floatAttr } from '@ortrain/graph-builder';
import type { ModelProto } from '@ortrain/graph-builder';
import { buildGradientModel } from '../../src/autodiff';
import { trainModeModels } from '../../src/session/train-mode';
import { relL2, rng, run, session } from '../autodiff/helpers';

interface Case { name: string; x: number[]; w: number[]; opset: number }

/** loss = sum(tanh(BN(x * w)) * K): w scales x per channel, so its gradient passes through the batch statistics. */
function bnModel(c: Case, r: () => number): { model: ModelProto; params: Map<string, { dims: number[]; data: number[] }>; x: number[]; stats: number[][] } {
  const g = new GraphBuilder('bn', { opset: c.opset });
  const C = c.x[1];
  const gen = (n: number, lo = -1, hi = 1) => Array.from({ length: n }, () => lo + (hi - lo) * r());
  const params = new Map([
    ['w', { dims: c.w, data: gen(C, 0.5, 1.5) }],
    ['scale', { dims: [C], data: gen(C, 0.5, 1.5) }],
    ['bias', { dims: [C], data: gen(C) }],
  ]);
  const stats = [gen(C, -0.5, 0.5), gen(C, 0.5, 2)];
  const f64 = (name: string, dims: number[], data: number[]) => g.initializer(name, 'float64', dims, Float64Array.from(data));
  const x = g.input('x', 'float64', c.x);
  const p = Object.fromEntries([...params].map(([n, v]) => [n, f64(n, v.dims, v.data)]));
  const y = g.node('BatchNormalization', [g.mul(x, p.w), p.scale, p.bias, f64('running_mean', [C], stats[0]), f64('running_var', [C], stats[1])],
    { epsilon: floatAttr(1e-3), momentum: floatAttr(0.8) })[0];
  const n = c.x.reduce((a, b) => a * b, 1);
  g.output(g.reduceSum(g.mul(g.tanh(y), g.constant(Float64Array.from(gen(n)), 'float64', c.x)), undefined, false), 'loss', []);
  return { model: g.build(), params, x: gen(n, -2, 2), stats };
}

const cases: Case[] = [
  { name: 'BatchNorm2d (N, C, H, W), opset 17', x: [3, 2, 2, 3], w: [1, 2, 1, 1], opset: 17 },
  { name: 'BatchNorm1d (N, C), opset 18 (axes as inputs)', x: [5, 3], w: [1, 3], opset: 18 },
];

describe('BatchNormalization in training mode: gradients against finite differences (float64)', () => {
  for (const c of cases) {
    test(c.name, async () => {
      const r = rng(4);
      const built = bnModel(c, r);
      const forms = trainModeModels(built.model)!;
      expect(forms.stats.map((s) => s.name)).toEqual(['running_mean', 'running_var']);
      // The training form with the parameters as initializers, differentiated.
      const { model: grad, gradientOutputs } = buildGradientModel(forms.train, { lossOutput: 'loss', trainable: ['w', 'scale', 'bias'] });
      const feeds = (pv: Map<string, number[]>): Record<string, ort.Tensor> => ({
        x: new ort.Tensor('float64', Float64Array.from(built.x), c.x),
        running_mean: new ort.Tensor('float64', Float64Array.from(built.stats[0]), [c.x[1]]),
        running_var: new ort.Tensor('float64', Float64Array.from(built.stats[1]), [c.x[1]]),
        ...Object.fromEntries([...pv].map(([n, v]) => [n, new ort.Tensor('float64', Float64Array.from(v), built.params.get(n)!.dims)])),
      });
      const base = new Map([...built.params].map(([n, v]) => [n, v.data]));
      const got = await run(await session(grad), feeds(base));
      // The forward with parameters as inputs, for the differences.
      const fwdModel = { ...forms.train, graph: { ...forms.train.graph!, initializer: forms.train.graph!.initializer!.filter((t) => !built.params.has(t.name!)),
        input: [...forms.train.graph!.input!, ...[...built.params].map(([n, v]) => ({ name: n, type: { tensorType: { elemType: 11, shape: { dim: v.dims.map((d) => ({ dimValue: d })) } } } }))] } };
      const fwd = await session(fwdModel);
      const lossAt = async (pv: Map<string, number[]>) => (await run(fwd, feeds(pv))).loss[0];
      const h = 1e-6;
      for (const [name, v] of base) {
        const numeric = [];
        for (let k = 0; k < v.length; k++) {
          const plus = [...v], minus = [...v];
          plus[k] += h; minus[k] -= h;
          numeric.push(((await lossAt(new Map([...base, [name, plus]]))) - (await lossAt(new Map([...base, [name, minus]])))) / (2 * h));
        }
        expect(relL2(got[gradientOutputs[name]], numeric)).toBeLessThan(1e-6);
      }
      // Running statistics: momentum * running + (1 - momentum) * batch, the batch variance unbiased.
      const out = await run(fwd, feeds(base));
      const C = c.x[1];
      const xs = built.x.map((xv, i) => xv * base.get('w')![Math.floor(i / c.x.slice(2).reduce((a, b) => a * b, 1)) % C]);
      for (let ch = 0; ch < C; ch++) {
        const vals = xs.filter((_, i) => Math.floor(i / c.x.slice(2).reduce((a, b) => a * b, 1)) % C === ch);
        const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
        const unbiased = vals.reduce((a, b) => a + (b - mean) ** 2, 0) / (vals.length - 1);
        expect(out[forms.stats[0].next][ch]).toBeCloseTo(0.8 * built.stats[0][ch] + 0.2 * mean, 12);
        expect(out[forms.stats[1].next][ch]).toBeCloseTo(0.8 * built.stats[1][ch] + 0.2 * unbiased, 12);
      }
    });
  }
});
