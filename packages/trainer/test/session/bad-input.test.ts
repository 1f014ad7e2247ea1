import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Tensor } from 'onnxruntime-node';
import { Adam, SGD } from '@ortrain/optimizers';
import { TrainingSession } from '../../src/session';
import { maxDiff, mlpBatch, modelBytes, modelPath } from './helpers';
import { tinyModel } from './tiny-model';

const adam = (p: ConstructorParameters<typeof Adam>[0]) => new Adam(p, { lr: 1e-2 });
const mlp = (extra: object = {}) => TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: adam, ...extra });

/** Runs `fn`, expects it to throw `message`, and checks the session's parameters and optimizer state did not change. */
async function rejectsUnchanged(s: TrainingSession, fn: () => Promise<unknown>, message: RegExp): Promise<void> {
  const params = await s.parameters();
  const state = s.optimizer.stateDict();
  const step = s.step;
  await expect(fn()).rejects.toThrow(message);
  expect(maxDiff(await s.parameters(), params)).toBe(0);
  expect(s.optimizer.stateDict()).toEqual(state);
  expect(s.step).toBe(step);
}

describe('bad batches are errors naming the tensor, and change nothing', () => {
  let s: TrainingSession;
  beforeAll(async () => {
    s = await mlp();
    await s.trainStep(mlpBatch(4, 0));
  });
  afterAll(() => s.release());
  const good = mlpBatch(4, 1);
  const x = good.inputs.input;

  test('an unknown or missing input', async () => {
    await rejectsUnchanged(s, () => s.trainStep({ inputs: { input: x, extra: x }, labels: good.labels }), /trainStep: 'extra' is not an input of the model; its inputs are 'input'/);
    await rejectsUnchanged(s, () => s.trainStep({ inputs: {}, labels: good.labels }), /trainStep: input 'input' is missing/);
    await rejectsUnchanged(s, () => s.evalStep({ inputs: { data: x }, labels: good.labels }), /evalStep: 'data' is not an input/);
    await rejectsUnchanged(s, () => s.trainStep(undefined as never), /trainStep: expected \{ inputs/);
  });

  test('a wrong element type or shape', async () => {
    const f64 = new Tensor('float64', new Float64Array(4 * 64), [4, 64]);
    await rejectsUnchanged(s, () => s.trainStep({ inputs: { input: f64 }, labels: good.labels }), /trainStep: input 'input': element type is float64, the model wants float32/);
    const wide = new Tensor('float32', new Float32Array(4 * 65), [4, 65]);
    await rejectsUnchanged(s, () => s.trainStep({ inputs: { input: wide }, labels: good.labels }), /input 'input': shape \[4, 65\] has 65 at axis 1, the model wants 64/);
    const flat = new Tensor('float32', new Float32Array(64), [64]);
    await rejectsUnchanged(s, () => s.lossAndGradients({ inputs: { input: flat }, labels: good.labels }), /lossAndGradients: input 'input': shape \[64\] has rank 1, the model wants rank 2/);
  });

  test('labels missing, of the wrong type, or of another batch size', async () => {
    await rejectsUnchanged(s, () => s.trainStep({ inputs: { input: x } } as never), /trainStep: labels are missing/);
    const f32 = new Tensor('float32', new Float32Array(4), [4]);
    await rejectsUnchanged(s, () => s.trainStep({ inputs: { input: x }, labels: f32 }), /trainStep: labels: element type is float32, the model wants int64/);
    const five = new Tensor('int64', new BigInt64Array(5), [5]);
    await rejectsUnchanged(s, () => s.trainStep({ inputs: { input: x }, labels: five }), /trainStep: labels: shape \[5\] has batch = 5 at axis 0, but input 'input' has batch = 4/);
  });

  test('labels out of range are caught on the host', async () => {
    const labels = new Tensor('int64', BigInt64Array.from([1n, 10n, 2n, 3n]), [4]);
    await rejectsUnchanged(s, () => s.trainStep({ inputs: { input: x }, labels }), /trainStep: labels\[1\] = 10 is out of range: class indices must be in \[0, 10\) or ignoreIndex -100/);
    const negative = new Tensor('int64', BigInt64Array.from([1n, -1n, 2n, 3n]), [4]);
    await rejectsUnchanged(s, () => s.trainStep({ inputs: { input: x }, labels: negative }), /labels\[1\] = -1 is out of range/);
    // ignoreIndex is allowed.
    const ignored = new Tensor('int64', BigInt64Array.from([1n, -100n, 2n, 3n]), [4]);
    await expect(s.evalStep({ inputs: { input: x }, labels: ignored })).resolves.toBeDefined();
  });
});

describe('a non-finite loss', () => {
  const nanBatch = () => {
    const b = mlpBatch(4, 2);
    (b.inputs.input.data as Float32Array)[3] = Number.NaN;
    return b;
  };

  test("throws by default and changes nothing", async () => {
    const s = await mlp();
    await s.trainStep(mlpBatch(4, 0));
    await rejectsUnchanged(s, () => s.trainStep(nanBatch()), /trainStep: the loss is NaN at step 2; nothing was updated/);
    expect(s.skippedSteps).toBe(0);
    await s.release();
  });

  test("with nonFinite: 'skip' is skipped and counted, also mid-accumulation", async () => {
    const s = await mlp({ nonFinite: 'skip', gradientAccumulationSteps: 2 });
    const calls: string[] = [];
    s.optimizer.registerStepPostHook(() => { calls.push('post'); });
    await s.trainStep(mlpBatch(4, 0));
    const params = await s.parameters();
    const r = await s.trainStep(nanBatch());
    expect(r).toEqual({ loss: Number.NaN, updated: false, skipped: true });
    expect(s.skippedSteps).toBe(1);
    expect(s.accumulation.pending).toBe(1);
    expect(maxDiff(await s.parameters(), params)).toBe(0);
    expect(calls).toEqual([]);
    // The cycle goes on with the next good batch.
    expect((await s.trainStep(mlpBatch(4, 3))).updated).toBe(true);
    expect(calls).toEqual(['post']);
    const r2 = await s.trainStep(nanBatch()); // skipped at the start of a cycle
    expect(r2.skipped).toBe(true);
    expect(s.skippedSteps).toBe(2);
    await s.release();
  });
});

test('with clipping, an infinite gradient norm under a finite loss is caught as well', async () => {
  const s = await TrainingSession.create({ model: tinyModel(), loss: 'mse', optimizer: (p) => new SGD(p, { lr: 0.1 }), maxGradNorm: 1 });
  const x = new Tensor('float32', Float32Array.from([3e18, -2e18, 1e18]), [1, 3]);
  const batch = { inputs: { x }, labels: new Tensor('float32', new Float32Array(2), [1, 2]) };
  expect(Number.isFinite((await s.evalStep(batch)).loss)).toBe(true);
  await rejectsUnchanged(s, () => s.trainStep(batch), /trainStep: the gradient norm is Infinity at step 1; nothing was updated/);
  await s.release();
});

test('overlapping calls are refused, not interleaved', async () => {
  const s = await mlp();
  const first = s.trainStep(mlpBatch(4, 1));
  await expect(s.trainStep(mlpBatch(4, 2))).rejects.toThrow(/trainStep: the session is busy with another call; await it first/);
  await expect(s.saveCheckpoint('x.ckpt')).rejects.toThrow(/saveCheckpoint: the session is busy/);
  expect((await first).updated).toBe(true);
  expect(s.step).toBe(1);
  await s.release();
});

describe('bad models and options', () => {
  test('a corrupt, truncated or missing model file is an error naming it', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ortrain-model-'));
    try {
      const truncated = path.join(dir, 'truncated.onnx');
      await fs.writeFile(truncated, modelBytes('mlp').subarray(0, 20000));
      await expect(TrainingSession.create({ model: truncated, loss: 'cross_entropy', optimizer: adam })).rejects.toThrow(/model '.*truncated\.onnx'/);
      const garbage = path.join(dir, 'garbage.onnx');
      await fs.writeFile(garbage, 'this is not a model at all, just some text that protobuf will not decode');
      await expect(TrainingSession.create({ model: garbage, loss: 'cross_entropy', optimizer: adam })).rejects.toThrow(/model '.*garbage\.onnx'/);
      await expect(TrainingSession.create({ model: path.join(dir, 'none.onnx'), loss: 'cross_entropy', optimizer: adam })).rejects.toThrow(/model '.*none\.onnx': no such file/);
      await expect(TrainingSession.create({ model: new Uint8Array(0), loss: 'cross_entropy', optimizer: adam })).rejects.toThrow(/model bytes: empty/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  test('bad options are RangeErrors naming the option and the value', async () => {
    const base = { model: modelPath('mlp'), loss: 'cross_entropy' as const, optimizer: adam };
    await expect(TrainingSession.create({ ...base, gradientAccumulationSteps: 0 })).rejects.toThrow(/gradientAccumulationSteps: must be an integer >= 1, got 0/);
    await expect(TrainingSession.create({ ...base, gradientAccumulationSteps: 1.5 })).rejects.toThrow(RangeError);
    await expect(TrainingSession.create({ ...base, maxGradNorm: -1 })).rejects.toThrow(/maxGradNorm: must be a finite number > 0, got -1/);
    await expect(TrainingSession.create({ ...base, intraOpNumThreads: -1 })).rejects.toThrow(/intraOpNumThreads: must be a whole number >= 0, got -1/);
    await expect(TrainingSession.create({ ...base, intraOpNumThreads: 1.5 })).rejects.toThrow(RangeError);
    await expect(TrainingSession.create({ ...base, nonFinite: 'ignore' as never })).rejects.toThrow(/nonFinite: must be 'throw' or 'skip', got "ignore"/);
    await expect(TrainingSession.create({ ...base, optimizer: 'adam' as never })).rejects.toThrow(/optimizer: expected a function/);
    await expect(TrainingSession.create({ ...base, loss: 'hinge' as never })).rejects.toThrow(/loss: unknown kind 'hinge'/);
    await expect(TrainingSession.create({ ...base, output: 'probs' })).rejects.toThrow(/output: 'probs' is not a value of the model; its outputs are 'logits'/);
    await expect(TrainingSession.create({ ...base, optimizer: () => ({}) as never })).rejects.toThrow(/optimizer: the factory must return an optimizer/);
    await expect(TrainingSession.create({ ...base, optimizer: (p) => new Adam(p.slice(1)) })).rejects.toThrow(/trainable parameter 'net.0.weight' is in no parameter group/);
  });
});
