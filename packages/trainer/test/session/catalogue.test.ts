// The layer-wise optimizers of @ortrain/optimizers inside a TrainingSession (fused: per-tensor norms in the
// training graph) and through the artifacts and checkpoints, which resolve them by name through the registry.
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LAMB, LARS } from '@ortrain/optimizers';
import { TrainingSession } from '../../src/session';
import { generateArtifacts } from '../../src/artifacts';
import { maxDiff, mlpBatch, modelBytes } from './helpers';

describe('LAMB in a TrainingSession on the mlp fixture (the digits MLP shape)', () => {
  test('a fused step equals lossAndGradients followed by optimizer.step(), and training reduces the loss', async () => {
    const lamb = (p: ConstructorParameters<typeof LAMB>[0]) => new LAMB(p, { lr: 5e-2, weightDecay: 0.01 });
    const fused = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: lamb });
    const apart = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: lamb });
    const batch = mlpBatch(32, 3);
    const first = (await fused.evalStep(batch)).loss;
    for (let step = 0; step < 6; step++) {
      const r = await fused.trainStep(batch);
      const { loss, gradients } = await apart.lossAndGradients(batch);
      expect(r.loss).toBeCloseTo(loss, 5);
      for (const group of apart.optimizer.paramGroups) for (const p of group.params) p.grad = gradients.get(p.name)!;
      await apart.optimizer.step();
      expect(maxDiff(await fused.parameters(), await apart.parameters())).toBeLessThan(1e-5);
    }
    expect((await fused.evalStep(batch)).loss).toBeLessThan(first * 0.9);
    expect(fused.optimizer.stateDict().algorithm).toBe('LAMB');
    await Promise.all([fused.release(), apart.release()]);
  });
});

describe('LARS through generateArtifacts / fromArtifacts and checkpoints', () => {
  let dir: string;
  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ortrain-lars-')); });
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

  test('the artifacts name LARS (any case), rebuild it with its options, and train as a direct session', async () => {
    const options = { lr: 0.5, momentum: 0.9, weightDecay: 1e-3, trustCoefficient: 0.02 };
    await generateArtifacts(modelBytes('mlp'), { loss: 'cross_entropy', optimizer: { name: 'lars', options } }, dir);
    const fromDisk = await TrainingSession.fromArtifacts(dir);
    const direct = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: (p) => new LARS(p, options) });
    expect(fromDisk.optimizer).toBeInstanceOf(LARS);
    expect(fromDisk.optimizer.paramGroups[0]).toMatchObject(options);
    for (let i = 0; i < 3; i++) {
      const batch = mlpBatch(16, i);
      expect((await fromDisk.trainStep(batch)).loss).toBeCloseTo((await direct.trainStep(batch)).loss, 6);
    }
    expect(maxDiff(await fromDisk.parameters(), await direct.parameters())).toBeLessThan(1e-6);
    // A checkpoint resumes exactly: the next steps are bit-identical.
    const file = path.join(dir, 'later.ckpt');
    await fromDisk.saveCheckpoint(file);
    const again = await TrainingSession.fromArtifacts(dir);
    await again.loadCheckpoint(file);
    for (let i = 3; i < 5; i++) {
      const batch = mlpBatch(16, i);
      await again.trainStep(batch);
      await fromDisk.trainStep(batch);
    }
    expect(maxDiff(await again.parameters(), await fromDisk.parameters())).toBe(0);
    // A checkpoint of another algorithm is refused.
    const lamb = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: (p) => new LAMB(p, { lr: 1e-3 }) });
    await expect(lamb.loadCheckpoint(file)).rejects.toThrow(/LARS/);
    await Promise.all([fromDisk.release(), direct.release(), again.release(), lamb.release()]);
  });
});
