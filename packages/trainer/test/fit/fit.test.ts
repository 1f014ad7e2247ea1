import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { GraphBuilder, encodeModel } from '@ortrain/graph-builder';
import { SGD, Adam } from '@ortrain/optimizers';
import { AdaDamp, AdaDampNN, PadaDamp, RadaDamp, Sampler } from '@ortrain/damping';
import { Tensor } from 'onnxruntime-node';
import { TrainingSession, arrayDataset, fit, evaluate, datasetLoss, datasetGradients, type Dataset, type FitDamper, type FitHistory } from '../../src';
import { createRandom } from '../../src/random';
import { modelBytes } from '../session/helpers';
import { tinyModel } from '../session/tiny-model';

/** A regression dataset for the tiny model (x [n, 3] -> y [n, 2]), recording every batch's indices. */
function tinyData(n: number, seed = 1): Dataset & { seen: number[][] } {
  const r = createRandom(seed);
  const x = Float32Array.from({ length: n * 3 }, () => r() * 2 - 1);
  const y = Float32Array.from({ length: n * 2 }, () => r() * 2 - 1);
  const inner = arrayDataset({ inputs: { x: { data: x, shape: [3] } }, labels: { data: y, shape: [2] } });
  const seen: number[][] = [];
  return { length: n, seen, batch: (idx: Uint32Array) => { seen.push(Array.from(idx)); return inner.batch(idx); } };
}

/** A 10-class dataset for the fixtures' MLP (64 features). */
function classData(n: number, seed: number): Dataset {
  const r = createRandom(seed);
  const x = Float32Array.from({ length: n * 64 }, () => r() * 2 - 1);
  const y = BigInt64Array.from({ length: n }, (_, i) => BigInt((Math.floor(x[i * 64] * 5) + 5) % 10));
  return arrayDataset({ inputs: { input: { data: x, shape: [64] } }, labels: { data: y, shape: [] } });
}

const tiny = (lr = 0.05) => TrainingSession.create({ model: tinyModel(), loss: 'mse', optimizer: (ps) => new SGD(ps, { lr, momentum: 0.9 }) });
const mlp = () => TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: (ps) => new Adam(ps, { lr: 1e-3 }) });

/** A damper that asks for the given batch sizes and lrs in turn and keeps what it was told. */
class ScriptedDamper implements FitDamper {
  k = 0;
  records: { examples: number; loss: number; gradNorm2?: number }[] = [];
  constructor(private readonly sizes: number[], private readonly lrs: number[]) {}
  next() { return { batchSize: this.sizes[this.k % this.sizes.length], lr: this.lrs[this.k % this.lrs.length] }; }
  record(r: { examples: number; loss: number; gradNorm2?: number }) { this.records.push(r); this.k++; }
  stateDict() { return { k: this.k, records: this.records.length }; }
  loadStateDict(s: unknown) { this.k = (s as { k: number }).k; }
}

describe('fit with a fixed batch size', () => {
  test('each epoch is a seeded permutation cut into batches; the history counts batch sizes and examples', async () => {
    const session = await tiny();
    const data = tinyData(10);
    const h = await fit(session, data, { epochs: 2, batchSize: 4, seed: 3 });
    expect(h.updates.map((u) => u.batchSize)).toEqual([4, 4, 2, 4, 4, 2]);
    expect(h.updates.map((u) => u.examples)).toEqual([4, 8, 10, 14, 18, 20]);
    expect(h.updates.every((u) => u.lr === 0.05 && Number.isFinite(u.loss))).toBe(true);
    const epoch1 = data.seen.slice(0, 3).flat();
    const epoch2 = data.seen.slice(3).flat();
    expect([...epoch1].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...epoch2].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(epoch2).not.toEqual(epoch1);
    // The epoch's loss is the batch-size weighted mean of its updates' losses.
    const e0 = (h.updates[0].loss * 4 + h.updates[1].loss * 4 + h.updates[2].loss * 2) / 10;
    expect(h.epochs[0].loss).toBeCloseTo(e0, 12);
    expect(h.epochs[0].metrics).toEqual({});
    await session.release();

    // Same seed, same run; shuffle: false keeps the dataset's order.
    const again = await tiny();
    const data2 = tinyData(10);
    expect(await fit(again, data2, { epochs: 2, batchSize: 4, seed: 3 })).toEqual(h);
    await again.release();
    const plain = await tiny();
    const data3 = tinyData(10);
    await fit(plain, data3, { epochs: 1, batchSize: 4, shuffle: false });
    expect(data3.seen).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    await plain.release();
  });

  test('updates stops mid-epoch; eval metrics, onStep and onEpoch after each update and epoch', async () => {
    const session = await mlp();
    const train = classData(100, 1);
    const held = classData(40, 2);
    const steps: number[] = [];
    const epochs: number[] = [];
    const h = await fit(session, train, {
      updates: 9, batchSize: 32, evalDataset: held, metrics: { accuracy: 'accuracy' }, evalBatchSize: 16,
      onStep: (s) => { steps.push(s.update * 10 + s.epoch); },
      onEpoch: (e) => { epochs.push(e.epoch); expect(e.updates).toBe(4 * e.epoch); },
    });
    expect(h.updates.length).toBe(9);
    expect(steps).toEqual([11, 21, 31, 41, 52, 62, 72, 82, 93]);
    expect(h.epochs.length).toBe(2);
    expect(epochs).toEqual([1, 2]);
    expect(Object.keys(h.epochs[1].metrics).sort()).toEqual(['accuracy', 'loss']);
    // The last epoch's metrics are the eval dataset's after its last update: the same as evaluating now, less
    // the one update of the third epoch. Re-evaluate on a fresh fit that stops at the epoch's end.
    const s2 = await mlp();
    const h2 = await fit(s2, train, { epochs: 2, batchSize: 32 });
    const now = await evaluate(s2, held, { metrics: { accuracy: (await import('../../src')).accuracy() } });
    expect(h.epochs[1].metrics.loss).toBeCloseTo(now.loss, 6);
    expect(h.epochs[1].metrics.accuracy).toBe(now.metrics.accuracy);
    expect(h2.updates).toEqual(h.updates.slice(0, 8));
    expect(await datasetLoss(s2, held, { batchSize: 7 })).toBeCloseTo(now.loss, 6);
    await session.release();
    await s2.release();
  });

  test('a batch dimension fixed in the model: batches of exactly that size, the short remainder left out', async () => {
    const g = new GraphBuilder('fixed');
    const x = g.input('x', 'float32', [4, 3]);
    const W = g.initializer('W', 'float32', [3, 2], Float32Array.from([0.5, -0.25, 0.125, 0.75, -0.5, 0.3]));
    g.output(g.matmul(x, W), 'y', [4, 2]);
    const session = await TrainingSession.create({ model: encodeModel(g.build()), loss: 'mse', optimizer: (ps) => new SGD(ps, { lr: 0.1 }) });
    const data = tinyData(10);
    const h = await fit(session, data, { epochs: 2 });
    expect(h.updates.map((u) => u.batchSize)).toEqual([4, 4, 4, 4]);
    await expect(fit(session, data, { batchSize: 3 })).rejects.toThrow("batchSize: 3, but input 'x' of the model has a fixed batch dimension of 4");
    await expect(fit(session, data, { damper: new ScriptedDamper([2], [0.1]) })).rejects.toThrow(
      "damper: input 'x' of the model has a fixed batch dimension of 4; a damper changes the batch size at every update, so the batch dimension must be symbolic");
    await session.release();
  });
});

describe('fit with a damper', () => {
  test('batch sizes and lrs change every update with no new onnxruntime session; each batch holds exactly its examples', async () => {
    const session = await TrainingSession.create({
      model: tinyModel(), loss: 'mse',
      optimizer: (ps) => new SGD([{ params: [ps[0]], lr: 0.3 }, { params: [ps[1]] }], { lr: 0.01 }),
    });
    const data = tinyData(20);
    const sizes = [1, 7, 3, 12, 2, 30, 5];
    const damper = new ScriptedDamper(sizes, [0.01, 0.02, 0.005]);
    const created = jest.spyOn(session.runtime, 'createSession');
    const lrs: number[][] = [];
    const h = await fit(session, data, {
      updates: 7, damper,
      onStep: () => { lrs.push(session.optimizer.paramGroups.map((g) => Number((g as { lr: number }).lr))); },
    });
    expect(created).toHaveBeenCalledTimes(1);
    // Distinct examples within a batch, at most the dataset; each batch fed as it is (no padding to the largest).
    expect(data.seen.map((b) => b.length)).toEqual([1, 7, 3, 12, 2, 20, 5]);
    for (const b of data.seen) expect(new Set(b).size).toBe(b.length);
    expect(h.updates.map((u) => u.batchSize)).toEqual([1, 7, 3, 12, 2, 20, 5]);
    expect(h.updates.map((u) => u.lr)).toEqual([0.01, 0.02, 0.005, 0.01, 0.02, 0.005, 0.01]);
    expect(lrs.map((g) => g[0])).toEqual(h.updates.map((u) => u.lr));
    expect(lrs.every((g) => g[0] === g[1])).toBe(true);
    // The damper hears each update's examples, loss and squared gradient norm.
    expect(damper.records.map((r) => r.examples)).toEqual([1, 7, 3, 12, 2, 20, 5]);
    expect(damper.records.map((r) => r.loss)).toEqual(h.updates.map((u) => u.loss));
    expect(damper.records.every((r) => typeof r.gradNorm2 === 'number' && r.gradNorm2 > 0)).toBe(true);
    // An epoch is n examples seen: 1+7+3+12 = 23 >= 20 ends the first; 50 >= 40 the second.
    expect(h.epochs.length).toBe(2);
    await session.release();
  });

  test("the squared gradient norm is the applied gradient's, as lossAndGradients gives it", async () => {
    const session = await mlp();
    const data = classData(16, 5);
    const batch = await data.batch(Uint32Array.from({ length: 16 }, (_, i) => i));
    const { gradients } = await session.lossAndGradients(batch);
    let norm2 = 0;
    for (const g of gradients.values()) for (const v of g) norm2 += v * v;
    const step = await session.trainStep(batch, { gradNorm2: true });
    expect(step.gradNorm2! / norm2).toBeCloseTo(1, 5);
    // The full-dataset gradient is the mean of the batches' gradients.
    const full = await datasetGradients(session, data, { batchSize: 5 });
    const whole = await session.lossAndGradients(batch);
    const w = whole.gradients.get(session.parameterNames[0])!;
    for (let i = 0; i < w.length; i += 97) expect(full.gradients[0][i]).toBeCloseTo(w[i], 6);
    expect(full.loss).toBeCloseTo(whole.loss, 6);
    await session.release();
  });

  test('PadaDamp drives fit: its batch sizes, and adadamp-sampled batches from the seed', async () => {
    const session = await tiny(0.01);
    const data = tinyData(50);
    const damper = new PadaDamp({ datasetSize: 50, lr: 0.01, initialBatchSize: 2, growthRate: 0.5, dwell: 1, wait: 0 });
    const h = await fit(session, data, { updates: 12, damper, seed: 4 });
    // ceil(B0 + growthRate * k)
    expect(h.updates.map((u) => u.batchSize)).toEqual(Array.from({ length: 12 }, (_, k) => Math.ceil(2 + 0.5 * k)));
    expect(h.updates[11].examples).toBe(h.updates.reduce((a, u) => a + u.batchSize, 0));
    // The batches are adadamp's for the seed: RandomState(4).choice(50, size, replace=False), update after update.
    const adadamp = new Sampler({ datasetSize: 50, seed: 4 });
    expect(data.seen).toEqual(h.updates.map((u) => Array.from(adadamp.sample(u.batchSize))));
    await session.release();
  });
});

describe('dampers whose signals come from the session', () => {
  test('AdaDamp: the full-dataset loss from datasetLoss sets the batch, ceil(B0 * F(x_0) / F(x_k))', async () => {
    const session = await tiny(0.05);
    const data = tinyData(40);
    const losses: number[] = [];
    const damper = new AdaDamp({ datasetSize: 40, lr: 0.05, initialBatchSize: 2, dwell: 1, wait: 0,
      loss: async () => { const l = await datasetLoss(session, data); losses.push(l); return l; } });
    const h = await fit(session, data, { updates: 8, damper });
    expect(losses.length).toBe(8);
    h.updates.forEach((u, k) => expect(u.batchSize).toBe(Math.min(40, Math.ceil(2 * losses[0] / losses[k]))));
    expect(losses[7]).toBeLessThan(losses[0]);
    await session.release();
  });

  test('AdaDampNN: the full gradient from datasetGradients', async () => {
    const session = await tiny(0.05);
    const data = tinyData(40);
    let calls = 0;
    const damper = new AdaDampNN({ datasetSize: 40, lr: 0.05, initialBatchSize: 2, dwell: 1, wait: 0,
      gradients: async () => { calls++; return (await datasetGradients(session, data)).gradients; } });
    const h = await fit(session, data, { updates: 6, damper });
    expect(calls).toBe(6);
    expect(h.updates.every((u) => u.batchSize >= 1 && u.batchSize <= 40)).toBe(true);
    await session.release();
  });

  test("RadaDamp: every update's loss and squared gradient norm reach record()", async () => {
    const session = await tiny(0.05);
    const data = tinyData(40);
    const damper = new RadaDamp({ datasetSize: 40, lr: 0.05, initialBatchSize: 2, dwell: 2, wait: 2 });
    const h = await fit(session, data, { updates: 10, damper });
    expect(h.updates.length).toBe(10);
    expect((damper.meta as { batchLoss: number }).batchLoss).toBe(h.updates[9].loss);
    await session.release();
  });
});

describe('checkpoints written by fit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ortrain-fit-'));

  async function interruptedAndResumed(options: (damper?: PadaDamp) => Parameters<typeof fit>[2], withDamper: boolean, stopAt: number) {
    const damper = () => (withDamper ? new PadaDamp({ datasetSize: 30, lr: 0.02, initialBatchSize: 2, growthRate: 0.7, dwell: 2, wait: 1 }) : undefined);
    const make = () => TrainingSession.create({ model: tinyModel(), loss: 'mse', optimizer: (ps) => new Adam(ps, { lr: 0.02 }) });
    const full = await make();
    const evalData = tinyData(12, 9);
    const whole: FitHistory = await fit(full, tinyData(30), { ...options(damper()), evalDataset: evalData });
    const path = join(dir, `fit-${withDamper}.ckpt`);
    const first = await make();
    await expect(fit(first, tinyData(30), {
      ...options(damper()), evalDataset: evalData, checkpoint: { every: 4, path },
      onStep: (s) => { if (s.update === stopAt) throw new Error('interrupted'); },
    })).rejects.toThrow('interrupted');
    await first.release();
    const second = await make();
    const resumed = await fit(second, tinyData(30), { ...options(damper()), evalDataset: evalData, resume: path });
    expect(resumed).toEqual(whole);
    expect(await second.parameters()).toEqual(await full.parameters());
    expect(second.optimizer.stateDict()).toEqual(full.optimizer.stateDict());
    await full.release();
    await second.release();
    return { whole, path };
  }

  test('a fixed-batch fit resumed from a mid-epoch checkpoint gives the same history and parameters', async () => {
    const { whole } = await interruptedAndResumed(() => ({ epochs: 3, batchSize: 7, seed: 2 }), false, 7);
    expect(whole.updates.length).toBe(15);
    expect(whole.epochs.length).toBe(3);
  });

  test('a damped fit resumed from a checkpoint continues the damper and the draws exactly', async () => {
    const { whole, path } = await interruptedAndResumed((d) => ({ updates: 14, damper: d, seed: 5 }), true, 10);
    expect(new Set(whole.updates.map((u) => u.batchSize)).size).toBeGreaterThan(3);
    // A checkpoint continues only the same loop.
    const s = await tiny();
    const d = new PadaDamp({ datasetSize: 30, lr: 0.02, initialBatchSize: 2, growthRate: 0.7, dwell: 2, wait: 1 });
    await expect(fit(s, tinyData(30), { damper: d, seed: 6, resume: path })).rejects.toThrow('seed was 5 when it was written, this fit has 6');
    await expect(fit(s, tinyData(30), { batchSize: 4, seed: 5, resume: path })).rejects.toThrow('written by a fit with a damper, this fit runs without one');
    await s.release();
  });

  test('a session checkpoint not written by fit is refused, and nothing changes', async () => {
    const s = await tiny();
    const path = join(dir, 'plain.ckpt');
    await s.saveCheckpoint(path);
    await s.trainStep((await tinyData(4).batch(Uint32Array.from([0, 1]))));
    const before = await s.parameters();
    await expect(fit(s, tinyData(10), { resume: path })).rejects.toThrow('was not written by fit');
    expect(await s.parameters()).toEqual(before);
    await s.release();
  });
});

describe('stopping fit with a signal', () => {
  const options = { epochs: 3, batchSize: 7, seed: 2 };
  const make = () => TrainingSession.create({ model: tinyModel(), loss: 'mse', optimizer: (ps) => new Adam(ps, { lr: 0.02 }) });

  test('a signal aborted in onStep ends fit after that update with a checkpoint; resume from it finishes as an uninterrupted fit', async () => {
    const evalData = tinyData(12, 9);
    const full = await make();
    const whole = await fit(full, tinyData(30), { ...options, evalDataset: evalData });

    const session = await make();
    const controller = new AbortController();
    const written: Uint8Array[] = [];
    const steps: number[] = [];
    const stopped = await fit(session, tinyData(30), {
      ...options, evalDataset: evalData, signal: controller.signal, checkpoint: { write: (b) => { written.push(b); } },
      onStep: (s) => { steps.push(s.update); if (s.update === 6) controller.abort(); },
    });
    // Update 6 is the second batch of epoch 2 (5 batches per epoch): nothing ran after it.
    expect(steps).toEqual([1, 2, 3, 4, 5, 6]);
    expect(stopped.updates).toEqual(whole.updates.slice(0, 6));
    expect(stopped.epochs).toEqual(whole.epochs.slice(0, 1));
    expect(written).toHaveLength(1);

    // Resumed in the same session, with a fresh signal: the rest of the run, then a last checkpoint at its end.
    const rest: number[] = [];
    const resumed = await fit(session, tinyData(30), {
      ...options, evalDataset: evalData, resume: written[0], checkpoint: { write: (b) => { written.push(b); } }, onStep: (s) => { rest.push(s.update); },
    });
    expect(rest).toEqual([7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(resumed).toEqual(whole);
    expect(await session.parameters()).toEqual(await full.parameters());
    expect(written).toHaveLength(2);

    // The checkpoint written at the end continues nothing more; an aborted signal with resume restores without training.
    const other = await make();
    const after = await fit(other, tinyData(30), { ...options, evalDataset: evalData, resume: written[1], onStep: () => { throw new Error('no update expected'); } });
    expect(after).toEqual(whole);
    expect(await other.parameters()).toEqual(await full.parameters());
    const third = await make();
    const aborted = new AbortController();
    aborted.abort();
    const restored = await fit(third, tinyData(30), {
      ...options, resume: written[0], signal: aborted.signal, checkpoint: { write: () => { throw new Error('nothing to write'); } },
      onStep: () => { throw new Error('no update expected'); },
    });
    expect(restored.updates).toEqual(whole.updates.slice(0, 6));
    expect(third.step).toBe(session.step - 9);
    for (const s of [full, session, other, third]) await s.release();
  });

  test('a stop at the last update of an epoch runs that epoch\'s evaluation first', async () => {
    const session = await make();
    const controller = new AbortController();
    const epochs: number[] = [];
    const h = await fit(session, tinyData(30), {
      ...options, evalDataset: tinyData(12, 9), signal: controller.signal,
      onStep: (s) => { if (s.update === 5) controller.abort(); }, onEpoch: (e) => { epochs.push(e.epoch); },
    });
    expect(h.updates).toHaveLength(5);
    expect(epochs).toEqual([1]);
    expect(Object.keys(h.epochs[0].metrics)).toEqual(['loss']);
    await session.release();
  });
});

describe('fit refuses bad options, naming them', () => {
  test.each([
    [{ batchSize: 0 }, 'batchSize: expected a positive integer, got 0'],
    [{ epochs: 1.5 }, 'epochs: expected a positive integer, got 1.5'],
    [{ batchSize: 4, damper: new ScriptedDamper([2], [0.1]) }, 'batchSize: 4 cannot be given with a damper'],
    [{ shuffle: false, damper: new ScriptedDamper([2], [0.1]) }, 'shuffle: false cannot be used with a damper'],
    [{ damper: new PadaDamp({ datasetSize: 99, lr: 0.1 }) }, 'damper: its datasetSize is 99, but the dataset holds 10 examples'],
    [{ metrics: { accuracy: 'accuracy' as const } }, 'metrics: they are computed on the evalDataset, which is not given'],
    [{ checkpoint: { every: 2 } }, 'checkpoint: give a path or a write function'],
    [{ signal: { aborted: 'yes' } }, 'signal: expected an AbortSignal'],
    [{ epoch: 2 }, "fit: unknown option 'epoch'"],
  ])('%p', async (options, message) => {
    const s = await tiny();
    await expect(fit(s, tinyData(10), options as Parameters<typeof fit>[2])).rejects.toThrow(message);
    await s.release();
  });

  test('a damper whose batch size is not a positive integer', async () => {
    const s = await tiny();
    await expect(fit(s, tinyData(10), { damper: new ScriptedDamper([0], [0.1]), updates: 1 })).rejects.toThrow('damper: next() gave batch size 0 at update 0');
    await s.release();
  });
});

test('arrayDataset refuses arrays that disagree, naming them', () => {
  expect(() => arrayDataset({ inputs: { x: { data: new Float32Array(6), shape: [3] } }, labels: { data: new Float32Array(3), shape: [1] } }))
    .toThrow("arrayDataset: labels holds 3 examples, but input 'x' holds 2");
  expect(() => arrayDataset({ inputs: { x: { data: new Float32Array(7), shape: [3] } }, labels: { data: new Float32Array(2), shape: [] } }))
    .toThrow("input 'x' holds 7 values, not a whole number of examples of shape [3]");
  const ds = arrayDataset({ inputs: { x: { data: Float32Array.from([1, 2, 3, 4]), shape: [2] } }, labels: { data: BigInt64Array.from([5n, 6n]), shape: [] } });
  const b = ds.batch(Uint32Array.from([1, 0])) as { inputs: Record<string, Tensor>; labels: Tensor };
  expect(Array.from(b.inputs.x.data as Float32Array)).toEqual([3, 4, 1, 2]);
  expect(b.labels.type).toBe('int64');
  expect(Array.from(b.labels.data as BigInt64Array)).toEqual([6n, 5n]);
  expect(() => ds.batch(Uint32Array.from([2]))).toThrow('example index 2 is out of range');
});
