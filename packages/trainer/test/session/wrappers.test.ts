import { mkdtempSync, rmSync } from 'fs';
import { Tensor } from 'onnxruntime-node';
import { tmpdir } from 'os';
import { join } from 'path';
import { Adam, Parameter, SGD } from '@ortrain/optimizers';
import { Lookahead, SAM, Scout } from '@ortrain/wrappers';
import { TrainingSession } from '../../src/session';
import { generateArtifacts } from '../../src/artifacts';
import { buildStepModel } from '../../src/session/step-graph';
import { OptimizerBridge } from '../../src/session/optimizer-bridge';
import { maxDiff, mlpBatch, modelBytes } from './helpers';
import { Runtime } from '@ortrain/runtime';

type Factory = (ps: Parameter[]) => SAM | Lookahead | Scout;

/**
 * A session that only computes gradients (lossAndGradients reads the parameters' current values through
 * their owner), and the same wrapper standalone over its parameters: the reference for the fused step.
 */
async function reference(make: Factory) {
  let params: Parameter[] = [];
  const grads = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: (ps) => { params = ps; return new SGD(ps, { lr: 0 }); } });
  const wrapper = make(params);
  const norms: number[] = [];
  const setGrads = async (batch: ReturnType<typeof mlpBatch>) => {
    const { loss, gradients } = await grads.lossAndGradients(batch);
    let sq = 0;
    for (const p of params) {
      p.grad = Float32Array.from(gradients.get(p.name)!);
      for (const v of p.grad) sq += v * v;
    }
    norms.push(Math.sqrt(sq));
    return loss;
  };
  const step = async (batch: ReturnType<typeof mlpBatch>) => {
    await setGrads(batch);
    await wrapper.step(wrapper.chain.some((w) => w instanceof SAM) ? () => setGrads(batch) : undefined);
  };
  return { grads, wrapper, step, norms };
}

const sam = (adaptive: boolean): Factory => (ps) => new SAM(ps, Adam, { rho: 0.05, adaptive, lr: 1e-2 });
const cases: [string, Factory][] = [
  ['SAM(Adam)', sam(false)],
  ['ASAM(Adam)', sam(true)],
  ['Lookahead(Adam)', (ps) => new Lookahead(new Adam(ps, { lr: 1e-2 }), { syncRate: 0.5, syncPeriod: 3 })],
  ['Scout(Adam)', (ps) => new Scout(new Adam(ps, { lr: 1e-2 }), { syncRate: 0.2, syncPeriod: 3 })],
  ['Lookahead(SAM(Adam))', (ps) => new Lookahead(new SAM(ps, Adam, { rho: 0.05, adaptive: false, lr: 1e-2 }), { syncPeriod: 2 })],
];

describe('wrappers inside TrainingSession: one run per step, as the wrapper standalone', () => {
  test.each(cases)('%s: 7 fused steps match the standalone wrapper driven by lossAndGradients', async (_, make) => {
    const fused = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: make, maxGradNorm: 1e9 });
    const ref = await reference(make);
    for (let s = 0; s < 7; s++) {
      const batch = mlpBatch(16, 30 + s);
      const r = await fused.trainStep(batch);
      await ref.step(batch);
      // maxGradNorm measures the gradient that is applied: under SAM, the one at the perturbed point.
      expect(Math.abs(r.gradNorm! - ref.norms[ref.norms.length - 1])).toBeLessThan(1e-4 * ref.norms[ref.norms.length - 1]);
      expect(maxDiff(await fused.parameters(), await ref.grads.parameters())).toBeLessThan(2e-5);
    }
    await fused.release();
    await ref.grads.release();
    await ref.wrapper.release();
  });

  test('SAM: both passes read one copy of the frozen weights', async () => {
    const runtime = await Runtime.create();
    const graphBytes = async (optimizer: (ps: Parameter[]) => SAM | Adam) => {
      const session = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', trainable: ['net.2.bias'], optimizer });
      const bridge = new OptimizerBridge(session.optimizer, session.optimizer.paramGroups.flatMap((g) => g.params), runtime);
      const { model } = buildStepModel(session.models, { accumulation: 1, kind: 'update' }, bridge);
      await session.release();
      const bytes = (model.graph!.initializer ?? []).reduce((a, t) => a + (t.rawData?.length ?? (t.floatData?.length ?? 0) * 4), 0);
      const nodes = model.graph!.node!.length;
      return { bytes, nodes };
    };
    const plain = await graphBytes((ps) => new Adam(ps));
    const twoPass = await graphBytes((ps) => new SAM(ps, Adam));
    // The frozen net.0 weight alone is 32 KiB: a second copy would double it.
    expect(plain.bytes).toBeGreaterThan(32 * 1024);
    expect(twoPass.bytes).toBeLessThan(plain.bytes + 256);
    expect(twoPass.nodes).toBeGreaterThan(plain.nodes);
    await runtime.release();
  });

  test('SAM with gradient accumulation: two equal batches give the update of one (each batch perturbed by its own gradient)', async () => {
    const make = sam(false);
    const once = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: make });
    const twice = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: make, gradientAccumulationSteps: 2 });
    for (let s = 0; s < 3; s++) {
      const batch = mlpBatch(16, 50 + s);
      await once.trainStep(batch);
      expect((await twice.trainStep(batch)).updated).toBe(false);
      expect((await twice.trainStep(batch)).updated).toBe(true);
    }
    expect(maxDiff(await once.parameters(), await twice.parameters())).toBeLessThan(1e-5);
    await once.release();
    await twice.release();
  });

  test('Scout(SAM(Adam)): a checkpoint resumes bit-identically (slow weights, statistics, counters)', async () => {
    const make: Factory = (ps) => new Scout(new SAM(ps, Adam, { lr: 1e-2 }), { syncRate: 0.3, syncPeriod: 3 });
    const a = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: make });
    for (let s = 0; s < 4; s++) await a.trainStep(mlpBatch(8, 70 + s));
    const saved = await a.checkpointBytes();
    for (let s = 4; s < 9; s++) await a.trainStep(mlpBatch(8, 70 + s));
    const b = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: make });
    await b.loadCheckpoint(saved);
    expect((b.optimizer as Scout).fastSteps).toBe(4);
    for (let s = 4; s < 9; s++) await b.trainStep(mlpBatch(8, 70 + s));
    expect(await b.parameters()).toEqual(await a.parameters());
    await a.optimizer.sync();
    await b.optimizer.sync();
    expect(b.optimizer.stateDict()).toEqual(a.optimizer.stateDict());
    // A plain Adam session refuses the checkpoint, naming both.
    const c = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: (ps) => new Adam(ps) });
    await expect(c.loadCheckpoint(saved)).rejects.toThrow(/Scout\(SAM\(Adam\)\) optimizer, the session's is Adam/);
    for (const s of [a, b, c]) await s.release();
  });

  test('generateArtifacts and fromArtifacts carry the wrapper: the artifacts train as TrainingSession.create does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ortrain-wrappers-'));
    try {
      const make: Factory = (ps) => new Lookahead(new SAM(ps, Adam, { rho: 0.1, adaptive: false, lr: 1e-2 }), { syncRate: 0.6, syncPeriod: 2 });
      await generateArtifacts(modelBytes('mlp'), { loss: 'cross_entropy', optimizer: make }, dir);
      const fromDir = await TrainingSession.fromArtifacts(dir);
      expect(fromDir.optimizer).toBeInstanceOf(Lookahead);
      expect((fromDir.optimizer as Lookahead).getConfig()).toEqual(make([new Parameter('x', new Float32Array(1), [1])]).getConfig());
      const created = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: make });
      for (let s = 0; s < 5; s++) {
        const batch = mlpBatch(16, 90 + s);
        expect((await fromDir.trainStep(batch)).loss).toBeCloseTo((await created.trainStep(batch)).loss, 5);
      }
      expect(maxDiff(await fromDir.parameters(), await created.parameters())).toBeLessThan(1e-5);
      await fromDir.release();
      await created.release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test("nonFinite 'skip' under Lookahead(SAM(Adam)): a NaN batch changes neither the parameters nor the wrapper's state", async () => {
    const session = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', nonFinite: 'skip',
      optimizer: (ps) => new Lookahead(new SAM(ps, Adam, { lr: 1e-2 }), { syncPeriod: 2 }) });
    await session.trainStep(mlpBatch(8, 1));
    const params = await session.parameters();
    const state = session.optimizer.stateDict();
    const good = mlpBatch(8, 2);
    const bad = { inputs: { input: new Tensor('float32', new Float32Array(8 * 64).fill(NaN), [8, 64]) }, labels: good.labels };
    expect(await session.trainStep(bad)).toMatchObject({ updated: false, skipped: true });
    expect(maxDiff(await session.parameters(), params)).toBe(0);
    expect(session.optimizer.stateDict()).toEqual(state);
    expect((session.optimizer as Lookahead).fastSteps).toBe(1);
    // The next good step is the sync step, as it would have been.
    await session.trainStep(good);
    expect((session.optimizer as Lookahead).fastSteps).toBe(2);
    expect((session.optimizer as Lookahead).lastSyncRate).toBe(0.5);
    await session.release();
  });
  test("the wrapper's hooks run around each update; its paramGroups' lr is the base's (no rebuild)", async () => {
    const session = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', gradientAccumulationSteps: 2,
      optimizer: (ps) => new Lookahead(new SAM(ps, Adam, { lr: 1e-2 }), { syncPeriod: 2 }) });
    const la = session.optimizer as Lookahead;
    const calls: string[] = [];
    la.registerStepPreHook(() => { calls.push('pre'); });
    la.registerStepPostHook((o) => { calls.push(`post ${o.fastSteps}`); });
    for (let s = 0; s < 4; s++) await session.trainStep(mlpBatch(8, 110 + s));
    expect(calls).toEqual(['pre', 'post 1', 'pre', 'post 2']);
    la.paramGroups[0].lr = 0;
    const before = await session.parameters();
    await session.trainStep(mlpBatch(8, 120));
    await session.trainStep(mlpBatch(8, 121));
    // lr 0: the fast step leaves the weights, and the sync is not due (fastSteps 3).
    expect(maxDiff(await session.parameters(), before)).toBe(0);
    await session.release();
  });
});
