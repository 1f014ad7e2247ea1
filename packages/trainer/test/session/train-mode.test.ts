// Training mode (mode: 'train'): BatchNormalization with batch statistics and running-statistics updates,
// against PyTorch's train mode on a network exported in eval mode (tools/oracles/trainer/make_train_mode.py);
// Dropout with seeded masks that checkpoints save.
import { existsSync, readFileSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { GraphBuilder, decodeModel, encodeModel, tensorToArray } from '@ortrain/graph-builder';
import { SGD } from '@ortrain/optimizers';
import { TrainingSession } from '../../src/session';
import { DropoutMasks } from '../../src/session/dropout-masks';
import { relL2 } from '../autodiff/helpers';
import { classBatch, random } from './helpers';

interface Oracle {
  batches: { input: { shape: number[]; data: number[] }; labels: number[] }[];
  lr: number;
  steps: { loss: number; grads: Record<string, number[]>; running: Record<string, number[]> }[];
  final: Record<string, number[]>;
  eval_loss: number;
}

const dir = path.join(__dirname, 'models');
const bnModel = () => new Uint8Array(readFileSync(path.join(dir, 'bn_net.onnx')));
const oracle: Oracle = JSON.parse(readFileSync(path.join(dir, 'bn_net.train.json'), 'utf8'));
const batchOf = (b: Oracle['batches'][number]) => ({
  inputs: { input: new Tensor('float32', Float32Array.from(b.input.data), b.input.shape) },
  labels: new Tensor('int64', BigInt64Array.from(b.labels.map(BigInt)), [b.labels.length]),
});
const sgd = (lr: number) => (p: ConstructorParameters<typeof SGD>[0]) => new SGD(p, { lr });
const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('BatchNormalization in training mode, against PyTorch', () => {
  test('loss, gradients through the batch statistics and running statistics match torch in train mode', async () => {
    const s = await TrainingSession.create({ model: bnModel(), loss: 'cross_entropy', optimizer: sgd(oracle.lr) });
    expect(s.mode).toBe('train');
    // PyTorch's parameters and nothing else train; the running statistics are state.
    expect([...s.parameterNames].sort()).toEqual(Object.keys(oracle.final).sort());
    const { loss, gradients } = await s.lossAndGradients(batchOf(oracle.batches[0]));
    expect(Math.abs(loss - oracle.steps[0].loss)).toBeLessThan(1e-5);
    for (const [n, g] of Object.entries(oracle.steps[0].grads)) {
      // A convolution's bias before BatchNorm has a zero gradient in train mode (the batch mean takes it out):
      // both sides hold rounding noise, so it is compared absolutely.
      const err = Math.hypot(...g) < 1e-5 ? maxAbs(gradients.get(n)!, g) * 10 : relL2(gradients.get(n)!, g);
      if (!(err < 1e-4)) throw new Error(`gradient of '${n}': relative L2 error ${err}`);
    }
    // evalStep in train mode: the batch's statistics, nothing updated.
    const trainEval = await s.evalStep(batchOf(oracle.batches[0]), { mode: 'train' });
    expect(Math.abs(trainEval.loss - oracle.steps[0].loss)).toBeLessThan(1e-5);
    expect(trainEval.outputs.logits.dims).toEqual([5, 4]);
    await expect(s.evalStep(batchOf(oracle.batches[0]), { mode: 'test' as 'eval' })).rejects.toThrow(/evalStep: mode must be 'train' or 'eval', got "test"/);
    // lossAndGradients updates nothing, running statistics included.
    const before = s.runningStatistics();
    for (const [n, v] of before) expect(maxAbs(v, tensorToArray(decodeModel(bnModel()).graph!.initializer!.find((t) => t.name === n)!) as Float32Array)).toBe(0);

    for (const [k, b] of oracle.batches.entries()) {
      const r = await s.trainStep(batchOf(b));
      expect(Math.abs(r.loss - oracle.steps[k].loss)).toBeLessThan(1e-5);
      const running = s.runningStatistics();
      expect([...running.keys()].sort()).toEqual(Object.keys(oracle.steps[k].running).sort());
      for (const [n, v] of Object.entries(oracle.steps[k].running)) expect(maxAbs(running.get(n)!, v)).toBeLessThan(1e-5);
    }
    const params = await s.parameters();
    for (const [n, v] of Object.entries(oracle.final)) expect(maxAbs(params.get(n)!, v)).toBeLessThan(1e-5);
    // evalStep runs in eval mode, with the updated running statistics.
    expect(Math.abs((await s.evalStep(batchOf(oracle.batches[0]))).loss - oracle.eval_loss)).toBeLessThan(1e-5);

    // The export holds the trained parameters and the updated running statistics, in eval form.
    const exported = await s.exportModel();
    const plain = await InferenceSession.create(exported);
    const inits = new Map(decodeModel(exported).graph!.initializer!.map((t) => [t.name!, tensorToArray(t) as Float32Array]));
    for (const [n, v] of Object.entries(oracle.steps[1].running)) expect(maxAbs(inits.get(n)!, v)).toBeLessThan(1e-5);
    const logits = (await plain.run({ input: batchOf(oracle.batches[0]).inputs.input })).logits;
    const evalOut = (await s.evalStep(batchOf(oracle.batches[0]))).outputs.logits;
    expect(maxAbs(logits.data as Float32Array, evalOut.data as Float32Array)).toBeLessThan(1e-5);
    await s.release();
  });

  test('the same network exported in training mode (training_mode = 1) trains the same', async () => {
    const model = new Uint8Array(readFileSync(path.join(dir, 'bn_net_training.onnx')));
    const s = await TrainingSession.create({ model, loss: 'cross_entropy', optimizer: sgd(oracle.lr) });
    const start = s.runningStatistics();
    for (const [k, b] of oracle.batches.entries()) expect(Math.abs((await s.trainStep(batchOf(b))).loss - oracle.steps[k].loss)).toBeLessThan(1e-5);
    const params = await s.parameters();
    for (const [n, v] of Object.entries(oracle.final)) expect(maxAbs(params.get(n)!, v)).toBeLessThan(1e-5);
    // Tracing in train mode moved the exported running statistics, so they start elsewhere: after two steps
    // they differ from the oracle's by momentum^2 times the difference at the start.
    const evalStart = new Map(decodeModel(bnModel()).graph!.initializer!.map((t) => [t.name!, tensorToArray(t) as Float32Array]));
    for (const [n, v] of Object.entries(oracle.steps[1].running)) {
      const m = n.startsWith('bn2.') ? 0.7 : 0.9;
      const want = v.map((o, i) => o + m * m * (start.get(n)![i] - evalStart.get(n)![i]));
      expect(maxAbs(s.runningStatistics().get(n)!, want)).toBeLessThan(1e-5);
    }
    await s.release();
    // In mode 'eval' its BatchNormalization nodes run in their inference form.
    const e = await TrainingSession.create({ model, loss: 'cross_entropy', optimizer: sgd(oracle.lr), mode: 'eval' });
    expect(Number.isFinite((await e.trainStep(batchOf(oracle.batches[0]))).loss)).toBe(true);
    await e.release();
  });

  test("mode: 'eval' trains with the running statistics fixed (the model as exported)", async () => {
    const s = await TrainingSession.create({ model: bnModel(), loss: 'cross_entropy', optimizer: sgd(oracle.lr), mode: 'eval' });
    const r = await s.trainStep(batchOf(oracle.batches[0]));
    expect(Math.abs(r.loss - oracle.steps[0].loss)).toBeGreaterThan(1e-3);
    expect(s.runningStatistics().size).toBe(0);
    await expect(s.evalStep(batchOf(oracle.batches[0]), { mode: 'train' })).rejects.toThrow(/evalStep: mode 'train' needs a session created in mode 'train'/);
    await expect(TrainingSession.create({ model: bnModel(), loss: 'cross_entropy', optimizer: sgd(0.1), mode: 'training' as 'train' }))
      .rejects.toThrow(/mode: must be 'train' or 'eval', got "training"/);
    await s.release();
  });

  test('a checkpoint restores the running statistics; a resumed run continues exactly', async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ortrain-bn-'));
    try {
      const file = path.join(tmp, 'bn.ckpt');
      const a = await TrainingSession.create({ model: bnModel(), loss: 'cross_entropy', optimizer: sgd(0.05) });
      await a.trainStep(batchOf(oracle.batches[0]));
      await a.saveCheckpoint(file);
      const next = await a.trainStep(batchOf(oracle.batches[1]));
      const b = await TrainingSession.create({ model: bnModel(), loss: 'cross_entropy', optimizer: sgd(0.05) });
      await b.loadCheckpoint(file);
      expect(b.runningStatistics()).toEqual(new Map([...a.runningStatistics()].map(([n]) => [n, expect.any(Float32Array)])));
      const resumed = await b.trainStep(batchOf(oracle.batches[1]));
      expect(resumed.loss).toBe(next.loss);
      for (const [n, v] of a.runningStatistics()) expect(maxAbs(b.runningStatistics().get(n)!, v)).toBe(0);
      // An eval-mode session does not take the running statistics of a train-mode checkpoint.
      const e = await TrainingSession.create({ model: bnModel(), loss: 'cross_entropy', optimizer: sgd(0.05), mode: 'eval' });
      await expect(e.loadCheckpoint(file)).rejects.toThrow(/holds running statistic '.*', which this session does not update/);
      await Promise.all([a.release(), b.release(), e.release()]);
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });
});

/** x -> Gemm -> Dropout(ratio) -> Gemm: an MLP with a Dropout node as tf2onnx and paddle2onnx keep it. */
function dropoutModel(ratio: number): Uint8Array {
  const g = new GraphBuilder('dropout_mlp', { opset: 17 });
  const r = random(3);
  const w = (n: number) => Float32Array.from({ length: n }, () => r() - 0.5);
  const x = g.input('input', 'float32', ['batch', 6]);
  const h = g.node('Gemm', [x, g.initializer('w1', 'float32', [6, 16], w(96)), g.initializer('b1', 'float32', [16], w(16))], {})[0];
  const d = g.node('Dropout', [g.relu(h), g.initializer('ratio', 'float32', [], Float32Array.of(ratio))], {})[0];
  const y = g.node('Gemm', [d, g.initializer('w2', 'float32', [16, 3], w(48)), g.initializer('b2', 'float32', [3], w(3))], {})[0];
  g.output(y, 'logits', ['batch', 3]);
  return encodeModel(g.build());
}

describe('Dropout masks', () => {
  test('drop a share `ratio` of elements, scale the rest by 1 / (1 - ratio), size symbolic dimensions from the batch', () => {
    const gen = new DropoutMasks(5);
    const x = new Tensor('float32', new Float32Array(400 * 25), [400, 25]);
    const masks = gen.draw([{ name: 'm', ratio: 0.3, shape: ['batch', 25], node: 'd' }], [{ name: 'input', dtype: 'float32', shape: ['batch', 25] }], { input: x }, Tensor);
    const m = masks.m.data as Float32Array;
    expect(masks.m.dims).toEqual([400, 25]);
    const zeros = m.filter((v) => v === 0).length / m.length;
    expect(Math.abs(zeros - 0.3)).toBeLessThan(0.02);
    expect(new Set(m.filter((v) => v !== 0))).toEqual(new Set([Math.fround(1 / 0.7)]));
    // The generator's state is all there is: the same state draws the same masks.
    const again = new DropoutMasks(5).draw([{ name: 'm', ratio: 0.3, shape: ['batch', 25], node: 'd' }], [{ name: 'input', dtype: 'float32', shape: ['batch', 25] }], { input: x }, Tensor);
    expect(again.m.data).toEqual(m);
  });
});

describe('Dropout in training mode', () => {
  const batch = (seed: number) => classBatch(8, [6], 3, seed);

  test('drops with its ratio, scales by 1 / (1 - ratio), and the gradient matches the dropped network', async () => {
    const s = await TrainingSession.create({ model: dropoutModel(0.5), loss: 'cross_entropy', optimizer: sgd(0.1), seed: 7 });
    const e = await TrainingSession.create({ model: dropoutModel(0.5), loss: 'cross_entropy', optimizer: sgd(0.1), mode: 'eval' });
    const b = batch(1);
    const [train, plain] = [await s.lossAndGradients(b), await e.lossAndGradients(b)];
    expect(Math.abs(train.loss - plain.loss)).toBeGreaterThan(1e-4);
    // Dropped hidden units get no gradient in w2: about half of its rows are zero for a batch of one row.
    const one = classBatch(1, [6], 3, 2);
    const g2 = (await s.lossAndGradients(one)).gradients.get('w2')!;
    let zeroRows = 0;
    for (let i = 0; i < 16; i++) if ([0, 1, 2].every((j) => g2[i * 3 + j] === 0)) zeroRows++;
    expect(zeroRows).toBeGreaterThan(2);
    expect(zeroRows).toBeLessThan(14);
    // Evaluation does not drop.
    expect((await s.evalStep(b)).loss).toBeCloseTo(plain.loss, 6);
    // A few steps on one batch: finite, falling loss (evaluated without dropping).
    for (let i = 0; i < 20; i++) expect(Number.isFinite((await s.trainStep(b)).loss)).toBe(true);
    expect((await s.evalStep(b)).loss).toBeLessThan(plain.loss);
    await Promise.all([s.release(), e.release()]);
  });

  test('the same seed gives the same steps; a checkpoint saves the generator, so a resumed run matches', async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ortrain-dropout-'));
    try {
      const make = (seed: number) => TrainingSession.create({ model: dropoutModel(0.3), loss: 'cross_entropy', optimizer: sgd(0.1), seed });
      const [a, b, c] = await Promise.all([make(11), make(11), make(12)]);
      const la = [], lb = [], lc = [];
      for (let i = 0; i < 3; i++) {
        la.push((await a.trainStep(batch(i))).loss);
        lb.push((await b.trainStep(batch(i))).loss);
        lc.push((await c.trainStep(batch(i))).loss);
      }
      expect(lb).toEqual(la);
      expect(lc).not.toEqual(la);
      const file = path.join(tmp, 'd.ckpt');
      await a.saveCheckpoint(file);
      const after = [(await a.trainStep(batch(5))).loss, (await a.trainStep(batch(6))).loss];
      await c.loadCheckpoint(file);
      expect([(await c.trainStep(batch(5))).loss, (await c.trainStep(batch(6))).loss]).toEqual(after);
      await Promise.all([a.release(), b.release(), c.release()]);
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });

  test('a Dropout whose input size no model input fixes fails with the node named', async () => {
    const g = new GraphBuilder('odd', { opset: 17 });
    const x = g.input('input', 'float32', ['batch', 4]);
    const w = g.initializer('w', 'float32', [4, 4], new Float32Array(16).fill(0.1));
    const nz = g.node('NonZero', [x], {})[0];
    const picked = g.node('Gather', [g.matmul(x, w), g.node('Squeeze', [g.node('Slice', [nz, g.constant([0], 'int64', [1]), g.constant([1], 'int64', [1]), g.constant([0], 'int64', [1])], {})[0], g.constant([0], 'int64', [1])], {})[0]], { axis: 0 })[0];
    g.node('Dropout', [picked, g.initializer('ratio', 'float32', [], Float32Array.of(0.1))], {}, { outputs: ['dropped'], name: 'drop' });
    g.output(g.get('dropped')!, 'out', ['n', 4]);
    const s = await TrainingSession.create({ model: encodeModel(g.build()), loss: 'mse', optimizer: sgd(0.1) });
    const b = { inputs: { input: new Tensor('float32', new Float32Array(8).fill(1), [2, 4]) }, labels: new Tensor('float32', new Float32Array(8), [2, 4]) };
    await expect(s.trainStep(b)).rejects.toThrow(/Dropout node 'drop': its mask needs the size/);
    await s.release();
  });
});

describe('training mode with the rest of the session', () => {
  test('gradient accumulation updates the running statistics at every batch, as torch does at every forward', async () => {
    const s = await TrainingSession.create({ model: bnModel(), loss: 'cross_entropy', optimizer: sgd(oracle.lr), gradientAccumulationSteps: 2 });
    const r = await s.trainStep(batchOf(oracle.batches[0]));
    expect(r.updated).toBe(false);
    // The first batch's statistics are torch's after its step (the parameters have not moved yet).
    for (const [n, v] of Object.entries(oracle.steps[0].running)) expect(maxAbs(s.runningStatistics().get(n)!, v)).toBeLessThan(1e-5);
    expect((await s.trainStep(batchOf(oracle.batches[1]))).updated).toBe(true);
    const moved = s.runningStatistics();
    for (const [n, v] of Object.entries(oracle.steps[0].running)) expect(maxAbs(moved.get(n)!, v)).toBeGreaterThan(1e-4);
    await s.release();
  });

  test('a batch giving BatchNorm one value per channel is refused, as torch refuses it, and changes nothing', async () => {
    const s = await TrainingSession.create({ model: bnModel(), loss: 'cross_entropy', optimizer: sgd(oracle.lr) });
    const b = batchOf(oracle.batches[0]);
    const one = { inputs: { input: new Tensor('float32', (b.inputs.input.data as Float32Array).slice(0, 192), [1, 3, 8, 8]) }, labels: new Tensor('int64', BigInt64Array.of(1n), [1]) };
    const before = s.runningStatistics();
    const params = await s.parameters();
    // bn3's input size (after Flatten) is inferred only as [unk, 10], so the run's own statistics tell.
    await expect(s.trainStep(one)).rejects.toThrow(/trainStep: the running statistic 'bn3\.running_var' of BatchNormalization node '.*bn3.*' \(one value per channel in this batch\?\) is NaN at step 1; nothing was updated/);
    expect(s.runningStatistics()).toEqual(before);
    expect(await s.parameters()).toEqual(params);
    expect(s.step).toBe(0);
    // Evaluation (running statistics) takes it.
    expect(Number.isFinite((await s.evalStep(one)).loss)).toBe(true);
    await s.release();
  });

  test('where the sizes are known before the run, such a batch is refused before it', async () => {
    const g = new GraphBuilder('bn1d', { opset: 17 });
    const x = g.input('input', 'float32', ['batch', 4]);
    const c = (n: string, v: number) => g.initializer(n, 'float32', [4], new Float32Array(4).fill(v));
    const y = g.node('BatchNormalization', [x, c('scale', 1), c('bias', 0), c('mean', 0), c('var', 1)], {}, { name: 'bn' })[0];
    g.output(g.node('Gemm', [y, g.initializer('w', 'float32', [4, 2], new Float32Array(8).fill(0.1))], {})[0], 'logits', ['batch', 2]);
    const s = await TrainingSession.create({ model: encodeModel(g.build()), loss: 'cross_entropy', optimizer: sgd(0.1) });
    const one = { inputs: { input: new Tensor('float32', new Float32Array(4), [1, 4]) }, labels: new Tensor('int64', BigInt64Array.of(1n), [1]) };
    await expect(s.trainStep(one)).rejects.toThrow(/trainStep: BatchNormalization node 'bn' in training mode needs more than one value per channel, but its input has shape \[1, 4\] for this batch/);
    await expect(s.lossAndGradients(one)).rejects.toThrow(/lossAndGradients: BatchNormalization node 'bn'/);
    await s.release();
  });

  test('a skipped step (non-finite loss) leaves the running statistics as they were', async () => {
    const s = await TrainingSession.create({ model: bnModel(), loss: 'cross_entropy', optimizer: sgd(oracle.lr), nonFinite: 'skip' });
    const before = s.runningStatistics();
    const bad = batchOf(oracle.batches[0]);
    (bad.inputs.input.data as Float32Array)[0] = NaN;
    expect((await s.trainStep(bad)).skipped).toBe(true);
    expect(s.runningStatistics()).toEqual(before);
    await s.release();
  });
});

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
(existsSync(process.env.VK_ICD_FILENAMES || ICD) || process.env.CI ? describe : describe.skip)('training mode on WebGPU (SwiftShader)', () => {
  test('BatchNorm in train mode on WebGPU matches PyTorch: losses, running statistics, parameters', async () => {
    const s = await TrainingSession.create({ model: bnModel(), loss: 'cross_entropy', optimizer: sgd(oracle.lr), executionProviders: ['webgpu'] });
    expect(s.runtime.provider).toBe('webgpu');
    for (const [k, b] of oracle.batches.entries()) expect(Math.abs((await s.trainStep(batchOf(b))).loss - oracle.steps[k].loss)).toBeLessThan(1e-4);
    for (const [n, v] of Object.entries(oracle.steps[1].running)) expect(maxAbs(s.runningStatistics().get(n)!, v)).toBeLessThan(1e-4);
    const params = await s.parameters();
    for (const [n, v] of Object.entries(oracle.final)) expect(maxAbs(params.get(n)!, v)).toBeLessThan(1e-4);
    await s.release();
  });
});
