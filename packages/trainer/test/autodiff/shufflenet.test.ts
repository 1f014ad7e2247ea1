// ShuffleNetV2 with BatchNorm kept, folded by us, and folded by PyTorch's exporter
// (tools/oracles/trainer/make_shufflenet.py: torchvision's ShuffleNetV2 class at a small width, BatchNorm
// randomised, eval mode), against PyTorch's float64 autograd. It answers where a float32 gradient gap between
// a folded and a kept export comes from: not from a rule (grouped and depthwise convolutions, the channel
// shuffle's Reshape/Transpose, Split/Concat match float64 autograd to float32 rounding, and finite
// differences in float64 below), but from ReLU kinks: a ReLU input within rounding of zero flips with the few
// ulps that folding changes, and the gradient jumps by the whole contribution of that element.
import { readFileSync } from 'fs';
import { join } from 'path';
import * as ort from 'onnxruntime-node';
import { decodeModel, tensorFromArray, tensorToArray } from '@ortrain/graph-builder';
import type { ModelProto } from '@ortrain/graph-builder';
import { buildGradientModel } from '../../src/autodiff';
import { crossEntropyLoss } from '../../src/losses';
import { checkCase, runCases } from './finite-difference';
import { relL2, run, session } from './helpers';

const dir = join(__dirname, 'models');
type Grads = Record<string, number[]>;
const oracle: {
  input: { shape: number[]; data: number[] }; labels: number[]; loss_float64: Record<string, number>;
  folded_float64: Grads; kept_float64: Grads; exporter_folded_names: Record<string, string>;
  kink: { bias: string; channel: number; value: number; plus: { shift: number; grads_float64: Grads }; minus: { shift: number; grads_float64: Grads } };
} = JSON.parse(readFileSync(join(dir, 'shufflenet.grads.json'), 'utf8'));
const load = (name: string) => decodeModel(readFileSync(join(dir, `shufflenet_${name}.onnx`)));

/** Our loss and gradients, by PyTorch's parameter names (`names` maps initializer -> PyTorch name). */
async function ours(model: ModelProto, names: Record<string, string> = {}): Promise<{ loss: number; grads: Map<string, Float64Array> }> {
  const { model: training, gradientOutputs, params } = buildGradientModel(model, {
    loss: { build: crossEntropyLoss(), labels: { name: 'labels', dtype: 'int64', shape: [oracle.labels.length] } },
  });
  const feeds: Record<string, ort.Tensor> = {
    input: new ort.Tensor('float32', Float32Array.from(oracle.input.data), oracle.input.shape),
    labels: new ort.Tensor('int64', BigInt64Array.from(oracle.labels.map(BigInt)), [oracle.labels.length]),
  };
  for (const p of params) feeds[p.name] = new ort.Tensor('float32', p.initial, p.dims);
  const out = await run(await session(training), feeds);
  return { loss: out.loss[0], grads: new Map(params.map((p) => [names[p.name] ?? p.name, out[gradientOutputs[p.name]]])) };
}

function expectClose(got: Map<string, Float64Array>, want: Grads, tolerance: number) {
  expect([...got.keys()].filter((k) => k in want).length).toBe(Object.keys(want).length);
  for (const [name, ref] of Object.entries(want)) {
    const err = relL2(got.get(name)!, ref);
    if (!(err < tolerance)) throw new Error(`gradient of '${name}': relative L2 error ${err} against PyTorch float64`);
  }
}

describe('ShuffleNetV2: BatchNorm kept or folded, against PyTorch float64 autograd', () => {
  test('kept: every gradient within float32 rounding', async () => {
    const r = await ours(load('kept'));
    expect(Math.abs(r.loss - oracle.loss_float64.kept)).toBeLessThan(1e-5);
    expectClose(r.grads, oracle.kept_float64, 2e-5);
  });

  test('folded (conv + bias): every gradient within float32 rounding', async () => {
    const r = await ours(load('folded'));
    expect(Math.abs(r.loss - oracle.loss_float64.folded)).toBeLessThan(1e-5);
    expectClose(r.grads, oracle.folded_float64, 2e-5);
  });

  test("folded by PyTorch's exporter: every gradient within float32 rounding", async () => {
    const r = await ours(load('exporter_folded'), oracle.exporter_folded_names);
    expect(Math.abs(r.loss - oracle.loss_float64.folded)).toBeLessThan(1e-5);
    expectClose(r.grads, oracle.folded_float64, 2e-5);
  });

  test('a ReLU input 2e-6 either side of zero: the same loss, gradients that jump by ~1e-3 of their largest element, each side exact', async () => {
    const { bias, channel, plus, minus } = oracle.kink;
    const shifted = (shift: number): ModelProto => {
      const model = load('folded');
      const g = model.graph!;
      g.initializer = g.initializer!.map((t) => {
        if (t.name !== bias) return t;
        const v = Float32Array.from(tensorToArray(t) as Float32Array);
        v[channel] += shift;
        return tensorFromArray(t.name!, 'float32', (t.dims ?? []).map(Number), v);
      });
      return model;
    };
    const [a, b] = [await ours(shifted(plus.shift)), await ours(shifted(minus.shift))];
    // Each side matches PyTorch on that side of the kink: the rules are right on both.
    expectClose(a.grads, plus.grads_float64, 2e-5);
    expectClose(b.grads, minus.grads_float64, 2e-5);
    // The loss is continuous across the kink; its gradient is not.
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5);
    const weight = bias.replace(/\.bias$/, '.weight');
    const [ga, gb] = [a.grads.get(weight)!, b.grads.get(weight)!];
    let jump = 0, largest = 0;
    for (let i = 0; i < ga.length; i++) { jump = Math.max(jump, Math.abs(ga[i] - gb[i])); largest = Math.max(largest, Math.abs(ga[i])); }
    expect(jump / largest).toBeGreaterThan(1e-3);
  });
});

// The blocks themselves against finite differences. The CPU provider has no double Conv, so the units with
// convolutions run in float32 (the harness's wider step and tolerance); the shuffle, Split and Concat alone
// run in float64.
const shuffle = (g: Parameters<NonNullable<Parameters<typeof runCases>[1][number]['build']>>[0], x: ReturnType<typeof g.input>, groups: number, c: number, hw: number) =>
  g.reshape(g.transpose(g.reshape(x, [-1, groups, c / groups, hw, hw]), [0, 2, 1, 3, 4]), [-1, c, hw, hw]);
runCases('ShuffleNet blocks against finite differences', [
  {
    name: 'channel shuffle of Split halves, one through a depthwise conv (Split, Conv group=C, Concat, Reshape, Transpose)',
    inputs: [{ param: [2, 4, 5, 5] }, { param: [2, 1, 3, 3] }, { param: [2] }],
    build: (g, [x, w, b]) => {
      const [left, right] = g.node('Split', [x!, g.constant([2, 2], 'int64', [2])], { axis: 1 }, { outputs: 2 });
      const dw = g.op('Conv', [right, w!, b!], { group: 2, pads: [1, 1, 1, 1] });
      return [shuffle(g, g.concat([left, dw], 1), 2, 4, 5)];
    },
  },
  {
    name: 'a downsampling unit: both branches strided depthwise, 1x1 convs, Concat and shuffle',
    inputs: [{ param: [1, 2, 6, 6] }, { param: [2, 1, 3, 3] }, { param: [2, 2, 1, 1] }, { param: [2, 1, 3, 3] }, { param: [2, 2, 1, 1] }],
    build: (g, [x, dw1, pw1, dw2, pw2]) => {
      const left = g.op('Conv', [g.op('Conv', [x!, dw1!], { group: 2, strides: [2, 2], pads: [1, 1, 1, 1] }), pw1!]);
      const right = g.op('Conv', [g.op('Conv', [x!, dw2!], { group: 2, strides: [2, 2], pads: [1, 1, 1, 1] }), pw2!]);
      return [shuffle(g, g.concat([left, right], 1), 2, 4, 3)];
    },
  },
]);

test('channel shuffle, Split and Concat in float64: exact to 1e-6', async () => {
  const res = await checkCase({
    name: 'shuffle float64',
    inputs: [{ param: [2, 4, 3, 3] }, { param: [1, 2, 1, 1] }],
    build: (g, [x, a]) => {
      const [left, right] = g.node('Split', [x!, g.constant([2, 2], 'int64', [2])], { axis: 1 }, { outputs: 2 });
      return [shuffle(g, g.concat([g.mul(left, right), g.mul(right, a!)], 1), 2, 4, 3)];
    },
  });
  expect(res.dtype).toBe('float64');
  for (const e of Object.values(res.errors)) expect(e).toBeLessThan(1e-6);
});
