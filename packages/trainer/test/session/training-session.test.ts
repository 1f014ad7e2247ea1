import { InferenceSession, Tensor } from 'onnxruntime-node';
import { Adam, SGD } from '@ortrain/optimizers';
import { TrainingSession } from '../../src/session';
import { concatBatches, lenetBatch, maxDiff, mlpBatch, modelBytes, modelPath } from './helpers';
import { B0, IN, OUT, W0, hostMse, tinyModel } from './tiny-model';

function tinyBatch(n: number, seed: number) {
  const x = Float32Array.from({ length: n * IN }, (_, i) => Math.sin(seed * 7 + i * 1.3));
  const y = Float32Array.from({ length: n * OUT }, (_, i) => Math.cos(seed * 3 + i * 0.7));
  return { x, y, batch: { inputs: { x: new Tensor('float32', x, [n, IN]) }, labels: new Tensor('float32', y, [n, OUT]) } };
}

describe('TrainingSession on a tiny linear model', () => {
  test('one SGD step is the host computation: loss and w - lr * grad', async () => {
    const session = await TrainingSession.create({ model: tinyModel(), loss: 'mse', optimizer: (p) => new SGD(p, { lr: 0.1 }) });
    const { x, y, batch } = tinyBatch(4, 1);
    const host = hostMse(W0, B0, x, y);
    const r = await session.trainStep(batch);
    expect(r).toEqual({ loss: expect.any(Number), updated: true, skipped: false });
    expect(r.loss).toBeCloseTo(host.loss, 6);
    const params = await session.parameters();
    W0.forEach((w, i) => expect(params.get('W')![i]).toBeCloseTo(w - 0.1 * host.gW[i], 6));
    B0.forEach((v, i) => expect(params.get('b')![i]).toBeCloseTo(v - 0.1 * host.gb[i], 6));
    expect(session.step).toBe(1);
    await session.release();
  });

  test('trainable narrows what is trained; the rest stays as in the model', async () => {
    const session = await TrainingSession.create({ model: tinyModel(), loss: 'mse', trainable: ['b'], optimizer: (p) => new SGD(p, { lr: 0.1 }) });
    expect(session.parameterNames).toEqual(['b']);
    const { x, y, batch } = tinyBatch(4, 2);
    await session.trainStep(batch);
    const host = hostMse(W0, B0, x, y);
    const b = (await session.parameters()).get('b')!;
    B0.forEach((v, i) => expect(b[i]).toBeCloseTo(v - 0.1 * host.gb[i], 6));
    // The exported model keeps the frozen W and carries the new b.
    const ort = await InferenceSession.create(await session.exportModel());
    const out = await ort.run({ x: batch.inputs.x });
    const yv = out.y.data as Float32Array;
    for (let o = 0; o < OUT; o++) {
      let p = b[o];
      for (let i = 0; i < IN; i++) p += x[i] * W0[i * OUT + o];
      expect(yv[o]).toBeCloseTo(p, 5);
    }
    await session.release();
  });

  test("a model output named 'loss' stays the model's; the loss takes another name", async () => {
    const session = await TrainingSession.create({ model: tinyModel('loss'), loss: 'mse', optimizer: (p) => new SGD(p, { lr: 0.1 }) });
    const { x, y, batch } = tinyBatch(3, 4);
    const { loss, outputs } = await session.evalStep(batch);
    expect(Object.keys(outputs)).toEqual(['loss']);
    expect(outputs.loss.dims).toEqual([3, OUT]);
    expect(loss).toBeCloseTo(hostMse(W0, B0, x, y).loss, 6);
    expect((await session.trainStep(batch)).loss).toBeCloseTo(loss, 6);
    await session.release();
  });
});

describe('TrainingSession on the mlp fixture', () => {
  const adam = (lr = 1e-2) => (p: ConstructorParameters<typeof Adam>[0]) => new Adam(p, { lr });

  test('training reduces the loss', async () => {
    const session = await TrainingSession.create({ model: modelPath('mlp'), loss: 'cross_entropy', optimizer: adam() });
    const batch = mlpBatch(32, 1);
    const first = (await session.evalStep(batch)).loss;
    for (let i = 0; i < 15; i++) await session.trainStep(batch);
    const last = (await session.evalStep(batch)).loss;
    expect(last).toBeLessThan(first * 0.2);
    await session.release();
  });

  test('trainStep equals lossAndGradients followed by optimizer.step()', async () => {
    const fused = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: adam() });
    const apart = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: adam() });
    for (let step = 0; step < 3; step++) {
      const batch = mlpBatch(16, 10 + step);
      const r = await fused.trainStep(batch);
      const { loss, gradients } = await apart.lossAndGradients(batch);
      expect(r.loss).toBeCloseTo(loss, 6);
      for (const group of apart.optimizer.paramGroups) for (const p of group.params) p.grad = gradients.get(p.name)!;
      await apart.optimizer.step();
      expect(maxDiff(await fused.parameters(), await apart.parameters())).toBeLessThan(1e-5);
    }
    // Both optimizers hold the same state.
    const a = fused.optimizer.stateDict();
    const b = apart.optimizer.stateDict();
    expect(Object.keys(a.state)).toEqual(Object.keys(b.state));
    expect(a.state['0'].step).toBe(3);
    await fused.release();
    await apart.release();
  });

  test("intraOpNumThreads: 1 trains the same as onnxruntime's thread pool (0)", async () => {
    const one = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: adam(), intraOpNumThreads: 1 });
    const pool = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: adam(), intraOpNumThreads: 0 });
    for (let step = 0; step < 3; step++) {
      const batch = mlpBatch(16, 20 + step);
      expect((await one.trainStep(batch)).loss).toBeCloseTo((await pool.trainStep(batch)).loss, 5);
    }
    expect(maxDiff(await one.parameters(), await pool.parameters())).toBeLessThan(1e-5);
    await one.release();
    await pool.release();
  });

  test('evalStep gives the outputs and loss of the exported model run by plain onnxruntime', async () => {
    const session = await TrainingSession.create({ model: modelPath('mlp'), loss: 'cross_entropy', optimizer: adam() });
    for (let i = 0; i < 3; i++) await session.trainStep(mlpBatch(16, i));
    const batch = mlpBatch(8, 99);
    const { loss, outputs } = await session.evalStep(batch);
    expect(Object.keys(outputs)).toEqual(['logits']);
    const plain = await InferenceSession.create(await session.exportModel());
    expect(plain.inputNames).toEqual(['input']);
    const logits = (await plain.run({ input: batch.inputs.input })).logits;
    expect(logits.dims).toEqual(outputs.logits.dims);
    const a = logits.data as Float32Array;
    const b = outputs.logits.data as Float32Array;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5);
    // The cross-entropy of those logits, computed here, is evalStep's loss.
    let ce = 0;
    const labels = batch.labels.data as BigInt64Array;
    for (let r = 0; r < 8; r++) {
      const row = Array.from(a.subarray(r * 10, r * 10 + 10));
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      ce += lse - row[Number(labels[r])];
    }
    expect(loss).toBeCloseTo(ce / 8, 5);
    // The export carries the trained weights, not the original ones.
    const original = await InferenceSession.create(modelBytes('mlp'));
    const before = (await original.run({ input: batch.inputs.input })).logits.data as Float32Array;
    expect(maxAbs(before, a)).toBeGreaterThan(1e-3);
    await session.release();
  });

  test('accumulating two batches equals one step on both (mean loss)', async () => {
    const opt = (p: ConstructorParameters<typeof SGD>[0]) => new SGD(p, { lr: 0.1, momentum: 0.9 });
    const acc = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: opt, gradientAccumulationSteps: 2 });
    const big = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: opt });
    const before = await acc.parameters();
    for (let cycle = 0; cycle < 2; cycle++) {
      const a = mlpBatch(8, 20 + 2 * cycle);
      const b = mlpBatch(8, 21 + 2 * cycle);
      const r1 = await acc.trainStep(a);
      expect(r1.updated).toBe(false);
      expect(acc.accumulation).toEqual({ steps: 2, pending: 1 });
      if (cycle === 0) expect(maxDiff(await acc.parameters(), before)).toBe(0);
      const r2 = await acc.trainStep(b);
      expect(r2.updated).toBe(true);
      expect(acc.accumulation.pending).toBe(0);
      const rb = await big.trainStep(concatBatches(a, b));
      expect((r1.loss + r2.loss) / 2).toBeCloseTo(rb.loss, 5);
      expect(maxDiff(await acc.parameters(), await big.parameters())).toBeLessThan(1e-5);
    }
    expect(acc.step).toBe(4);
    await acc.release();
    await big.release();
  });

  test('clipping by global norm matches the host computation', async () => {
    const maxGradNorm = 0.05;
    const lr = 0.5;
    const clipped = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: (p) => new SGD(p, { lr }), maxGradNorm });
    const probe = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: (p) => new SGD(p, { lr }) });
    const batch = mlpBatch(16, 5);
    const before = await probe.parameters();
    const { gradients } = await probe.lossAndGradients(batch);
    let sq = 0;
    for (const g of gradients.values()) for (const v of g) sq += v * v;
    const norm = Math.sqrt(sq);
    expect(norm).toBeGreaterThan(maxGradNorm); // so that clipping acts
    const coef = Math.min(1, maxGradNorm / (norm + 1e-6));
    const r = await clipped.trainStep(batch);
    expect(r.gradNorm).toBeCloseTo(norm, 4);
    const after = await clipped.parameters();
    for (const [name, w] of before) {
      const g = gradients.get(name)!;
      const got = after.get(name)!;
      for (let i = 0; i < w.length; i++) expect(Math.abs(got[i] - (w[i] - lr * coef * g[i]))).toBeLessThan(1e-6);
    }
    // A large bound leaves the gradient as it is.
    const loose = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: (p) => new SGD(p, { lr }), maxGradNorm: 1e6 });
    await loose.trainStep(batch);
    await probe.trainStep(batch);
    expect(maxDiff(await loose.parameters(), await probe.parameters())).toBeLessThan(1e-7);
    await Promise.all([clipped.release(), probe.release(), loose.release()]);
  });

  test('the optimizer keeps its face: lr edits take effect at the next step, hooks run, stateDict follows', async () => {
    const session = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: (p) => new SGD(p, { lr: 0.1 }) });
    const calls: string[] = [];
    session.optimizer.registerStepPreHook(() => { calls.push('pre'); });
    session.optimizer.registerStepPostHook(() => { calls.push('post'); });
    const batch = mlpBatch(8, 3);
    await session.trainStep(batch);
    expect(calls).toEqual(['pre', 'post']);
    const p1 = await session.parameters();
    const created = jest.spyOn(session.runtime, 'createSession');
    session.optimizer.paramGroups[0].lr = 0;
    await session.trainStep(batch);
    expect(maxDiff(await session.parameters(), p1)).toBe(0);
    session.optimizer.paramGroups[0].lr = 0.1;
    await session.trainStep(batch);
    expect(maxDiff(await session.parameters(), p1)).toBeGreaterThan(1e-4);
    expect(calls.length).toBe(6);
    expect(created).not.toHaveBeenCalled(); // lr is an input of the graph: no rebuild
    // p.read() on the optimizer's parameters gives the session's values.
    const W = session.optimizer.paramGroups[0].params[0];
    expect(Array.from(await W.read())).toEqual(Array.from((await session.parameters()).get(W.name)!));
    await session.release();
  });

  test('a structural option change rebuilds the update graph and is applied', async () => {
    const fused = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: (p) => new SGD(p, { lr: 0.1 }) });
    const apart = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: (p) => new SGD(p, { lr: 0.1 }) });
    const batch = mlpBatch(8, 4);
    await fused.trainStep(batch);
    let { gradients } = await apart.lossAndGradients(batch);
    for (const p of apart.optimizer.paramGroups[0].params) p.grad = gradients.get(p.name)!;
    await apart.optimizer.step();
    const created = jest.spyOn(fused.runtime, 'createSession');
    for (const s of [fused, apart]) Object.assign(s.optimizer.paramGroups[0], { momentum: 0.9, weightDecay: 0.01 });
    for (let i = 0; i < 2; i++) {
      await fused.trainStep(batch);
      ({ gradients } = await apart.lossAndGradients(batch));
      for (const p of apart.optimizer.paramGroups[0].params) p.grad = gradients.get(p.name)!;
      await apart.optimizer.step();
    }
    expect(maxDiff(await fused.parameters(), await apart.parameters())).toBeLessThan(1e-6);
    expect(created).toHaveBeenCalledTimes(1); // the update graph of the new form, built once
    await fused.release();
    await apart.release();
  });
});

test('a pre-hook that changes the form of the update is refused; the next step uses the new form', async () => {
  const session = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: (p) => new SGD(p, { lr: 0.1 }) });
  const batch = mlpBatch(8, 6);
  await session.trainStep(batch);
  const before = await session.parameters();
  const hook = session.optimizer.registerStepPreHook((o) => { o.paramGroups[0].momentum = 0.9; });
  await expect(session.trainStep(batch)).rejects.toThrow(/trainStep: a step pre-hook changed an option that changes the update's form/);
  expect(maxDiff(await session.parameters(), before)).toBe(0);
  hook.remove();
  expect((await session.trainStep(batch)).updated).toBe(true);
  expect(session.optimizer.stateDict().state['0']).toHaveProperty('momentumBuffer');
  await session.release();
});

describe('TrainingSession on the lenet fixture', () => {
  test('training reduces the loss, and trainStep equals lossAndGradients + step()', async () => {
    const opt = (p: ConstructorParameters<typeof Adam>[0]) => new Adam(p, { lr: 3e-3 });
    const fused = await TrainingSession.create({ model: modelBytes('lenet'), loss: 'cross_entropy', optimizer: opt });
    const apart = await TrainingSession.create({ model: modelBytes('lenet'), loss: 'cross_entropy', optimizer: opt });
    expect(fused.parameterNames).toHaveLength(10);
    const batch = lenetBatch(8, 7);
    const first = (await fused.evalStep(batch)).loss;
    for (let i = 0; i < 3; i++) {
      await fused.trainStep(batch);
      const { gradients } = await apart.lossAndGradients(batch);
      for (const p of apart.optimizer.paramGroups[0].params) p.grad = gradients.get(p.name)!;
      await apart.optimizer.step();
    }
    expect(maxDiff(await fused.parameters(), await apart.parameters())).toBeLessThan(1e-5);
    for (let i = 0; i < 7; i++) await fused.trainStep(batch);
    expect((await fused.evalStep(batch)).loss).toBeLessThan(first * 0.75);
    await fused.release();
    await apart.release();
  });
});

function maxAbs(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
