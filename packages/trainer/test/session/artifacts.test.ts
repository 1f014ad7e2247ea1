import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { AdamW, SGD } from '@ortrain/optimizers';
import { TrainingSession } from '../../src/session';
import { generateArtifacts } from '../../src/artifacts';
import { maxDiff, mlpBatch, modelBytes, modelPath } from './helpers';

let dir: string;
beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ortrain-artifacts-')); });
afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

describe('generateArtifacts and fromArtifacts', () => {
  test('writes the ONNX Runtime layout; the models run in plain onnxruntime', async () => {
    const paths = await generateArtifacts(modelPath('mlp'), { frozenParams: ['net.0.bias'], loss: 'cross_entropy', optimizer: 'AdamW' }, dir);
    expect((await fs.readdir(dir)).sort()).toEqual(['checkpoint', 'eval_model.onnx', 'optimizer_model.onnx', 'training_model.onnx']);
    const batch = mlpBatch(4, 1);
    const weights = await initializers(modelPath('mlp'));
    const training = await InferenceSession.create(paths.training);
    expect([...training.inputNames].sort()).toEqual(['input', 'labels', 'net.0.weight', 'net.2.bias', 'net.2.weight']);
    expect([...training.outputNames].sort()).toEqual(['loss', 'net.0.weight.grad', 'net.2.bias.grad', 'net.2.weight.grad']);
    const feeds: Record<string, Tensor> = { input: batch.inputs.input, labels: batch.labels };
    for (const n of ['net.0.weight', 'net.2.weight', 'net.2.bias']) feeds[n] = weights.get(n)!;
    const out = await training.run(feeds);
    const evalModel = await InferenceSession.create(paths.eval);
    expect([...evalModel.outputNames].sort()).toEqual(['logits', 'loss']);
    const ev = await evalModel.run(feeds);
    expect(ev.loss.data[0]).toBeCloseTo(out.loss.data[0] as number, 6);
    const optimizer = await InferenceSession.create(paths.optimizer);
    expect(optimizer.inputNames).toContain('opt0.param');
    expect(optimizer.outputNames).toContain('opt0.param.out');
  });

  test('fromArtifacts trains as TrainingSession.create does, with the same optimizer', async () => {
    await generateArtifacts(modelBytes('mlp'), { loss: 'cross_entropy', optimizer: { name: 'AdamW', lr: 1e-2, weightDecay: 0.1 } }, dir);
    const fromDisk = await TrainingSession.fromArtifacts(dir);
    const direct = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: (p) => new AdamW(p, { lr: 1e-2, weightDecay: 0.1 }) });
    expect(fromDisk.optimizer).toBeInstanceOf(AdamW);
    expect(fromDisk.optimizer.paramGroups[0].lr).toBe(1e-2);
    for (let i = 0; i < 3; i++) {
      const batch = mlpBatch(16, i);
      const a = await fromDisk.trainStep(batch);
      const b = await direct.trainStep(batch);
      expect(a.loss).toBeCloseTo(b.loss, 6);
    }
    expect(maxDiff(await fromDisk.parameters(), await direct.parameters())).toBeLessThan(1e-6);
    // The export of a session from artifacts is the forward model with the trained weights.
    const batch = mlpBatch(8, 50);
    const plain = await InferenceSession.create(await fromDisk.exportModel());
    expect(plain.inputNames).toEqual(['input']);
    const logits = (await plain.run({ input: batch.inputs.input })).logits.data as Float32Array;
    const evaluated = (await fromDisk.evalStep(batch)).outputs.logits.data as Float32Array;
    for (let i = 0; i < logits.length; i++) expect(Math.abs(logits[i] - evaluated[i])).toBeLessThan(1e-5);
    // A checkpoint saved by it resumes it.
    const file = path.join(dir, 'later.ckpt');
    await fromDisk.saveCheckpoint(file);
    const again = await TrainingSession.fromArtifacts(dir);
    await again.loadCheckpoint(file);
    expect(maxDiff(await again.parameters(), await fromDisk.parameters())).toBe(0);
    await Promise.all([fromDisk.release(), direct.release(), again.release()]);
  });

  test('bad options and missing or corrupt files are errors naming them', async () => {
    await expect(generateArtifacts(modelPath('mlp'), { loss: 'mse', requiresGrad: ['nope'] }, dir)).rejects.toThrow(/requiresGrad: 'nope' is not an initializer of the model/);
    await expect(generateArtifacts(modelPath('mlp'), { loss: 'cross_entropy', requiresGrad: ['net.0.bias'], frozenParams: ['net.0.bias'] }, dir))
      .rejects.toThrow(/requiresGrad and frozenParams both name 'net.0.bias'/);
    await expect(generateArtifacts(modelPath('mlp'), { loss: 'cross_entropy', optimizer: 'Adagrad2' }, dir)).rejects.toThrow(/optimizer: unknown optimizer 'Adagrad2' \(known: SGD, .*LAMB/);
    await expect(TrainingSession.fromArtifacts(dir)).rejects.toThrow(/training model '.*training_model\.onnx': no such file/);
    await generateArtifacts(modelPath('mlp'), { loss: 'cross_entropy', requiresGrad: ['net.2.weight'], optimizer: (p) => new SGD(p, { lr: 0.5 }) }, dir);
    const s = await TrainingSession.fromArtifacts(dir);
    expect(s.parameterNames).toEqual(['net.2.weight']);
    expect(s.optimizer).toBeInstanceOf(SGD);
    await s.release();
    // An optimizer model of another optimizer does not fit the checkpoint.
    const other = path.join(dir, 'adamw');
    await generateArtifacts(modelPath('mlp'), { loss: 'cross_entropy', requiresGrad: ['net.2.weight'] }, other);
    await fs.copyFile(path.join(other, 'optimizer_model.onnx'), path.join(dir, 'optimizer_model.onnx'));
    await expect(TrainingSession.fromArtifacts(dir)).rejects.toThrow(/optimizer model '.*optimizer_model\.onnx': the update of a AdamW optimizer, the checkpoint's is SGD/);
    const ckpt = path.join(dir, 'checkpoint');
    const bytes = await fs.readFile(ckpt);
    await fs.writeFile(ckpt, bytes.subarray(0, bytes.length - 100));
    await expect(TrainingSession.fromArtifacts(dir)).rejects.toThrow(/checkpoint '.*checkpoint': checksum mismatch/);
  });
});

async function initializers(file: string): Promise<Map<string, Tensor>> {
  const { decodeModel, tensorToArray } = await import('@ortrain/graph-builder');
  const model = decodeModel(new Uint8Array(await fs.readFile(file)));
  return new Map(model.graph!.initializer!.map((t) => [t.name!, new Tensor('float32', tensorToArray(t) as Float32Array, t.dims!)]));
}
