// Architectures beyond the fixtures, exported by PyTorch 1.13 (tools/oracles/autodiff/make_models.py):
// loss and gradients against PyTorch autograd on the CPU provider.
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import * as ort from 'onnxruntime-node';
import { decodeModel, validateModel } from '@ortrain/graph-builder';
import type { Dim } from '@ortrain/graph-builder';
import { buildGradientModel } from '../../src/autodiff';
import type { LossBuilder } from '../../src/autodiff';
import { crossEntropyLoss, mseLoss } from '../../src/losses';
import { SWIFTSHADER_ICD, relL2, run, session } from './helpers';

interface Oracle {
  input: { name: string; dtype: 'int64' | 'float32'; shape: number[]; data: number[] };
  labels: { dtype: 'int64' | 'float32'; shape: number[]; data: number[] };
  loss_kind: string;
  loss: number;
  grads: Record<string, { torch: string; shape: number[]; data: number[] }>;
}

const LOSSES: Record<string, { build: LossBuilder; shape: (n: number) => Dim[] }> = {
  cross_entropy: { build: crossEntropyLoss(), shape: () => ['batch'] },
  cross_entropy_last_axis: { build: crossEntropyLoss({ classAxis: -1 }), shape: () => ['batch', 'time'] },
  mse: { build: mseLoss(), shape: (n) => ['batch', n] },
};

const tensor = (dtype: 'int64' | 'float32', data: number[], shape: number[]) =>
  dtype === 'int64' ? new ort.Tensor('int64', BigInt64Array.from(data.map(BigInt)), shape) : new ort.Tensor('float32', Float32Array.from(data), shape);

async function check(name: string, providers: (string | { name: string; preferredLayout?: string })[]) {
  const dir = join(__dirname, 'models');
  const model = decodeModel(readFileSync(join(dir, `${name}.onnx`)));
  const oracle: Oracle = JSON.parse(readFileSync(join(dir, `${name}.grads.json`), 'utf8'));
  const loss = LOSSES[oracle.loss_kind];
  const { model: training, gradientOutputs, params } = buildGradientModel(model, {
    loss: { build: loss.build, labels: { name: 'labels', dtype: oracle.labels.dtype, shape: loss.shape(oracle.labels.shape[1]) } },
  });
  // Default selection: every parameter PyTorch has, and nothing else (running statistics, masks stay frozen).
  expect(Object.keys(gradientOutputs).sort()).toEqual(Object.keys(oracle.grads).sort());
  validateModel(training);
  const feeds: Record<string, ort.Tensor> = {
    input: tensor(oracle.input.dtype, oracle.input.data, oracle.input.shape),
    labels: tensor(oracle.labels.dtype, oracle.labels.data, oracle.labels.shape),
  };
  for (const p of params) feeds[p.name] = new ort.Tensor('float32', p.initial, p.dims);
  const out = await run(await session(training, providers), feeds);
  expect(Math.abs(out.loss[0] - oracle.loss) / Math.abs(oracle.loss)).toBeLessThan(1e-5);
  for (const [param, ref] of Object.entries(oracle.grads)) {
    const err = relL2(out[gradientOutputs[param]], ref.data);
    if (!(err < 1e-4)) throw new Error(`${name}: gradient of '${param}' (${ref.torch}) has relative L2 error ${err}`);
  }
}

describe('gradients of PyTorch-exported architectures beyond the fixtures', () => {
  for (const name of ['tiny_resnet', 'conv1d', 'regression', 'gpt', 'causal_encoder', 'lstm', 'zoo', 'vit']) test(name, () => check(name, ['cpu']));
});

// The same training graphs on WebGPU (NCHW: see fixtures.test.ts); nodes the provider lacks fall back to the CPU.
const haveWebGpu = existsSync(SWIFTSHADER_ICD) || !!process.env.CI;
(haveWebGpu ? describe : describe.skip)('PyTorch-exported architectures on WebGPU (SwiftShader)', () => {
  beforeAll(() => {
    if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  });
  for (const name of ['tiny_resnet', 'conv1d', 'gpt', 'lstm', 'zoo', 'vit']) {
    test(name, () => check(name, [{ name: 'webgpu', preferredLayout: 'NCHW' }]));
  }
});
