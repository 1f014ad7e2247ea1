// The training session on the two larger fixtures, across packages (graph-builder, runtime, optimizers,
// trainer): a transformer encoder with int64 token inputs of dynamic length, and mobilenet_v3_small with
// BatchNormalization in inference mode, each fine-tuned a few steps on one batch.
import * as path from 'path';
import { readFileSync } from 'fs';
import { Tensor } from 'onnxruntime-node';
import { decodeModel } from '@ortrain/graph-builder';
import { Adam } from '@ortrain/optimizers';
import { TrainingSession, createRandom } from '@ortrain/trainer';

const model = (name: string) => new Uint8Array(readFileSync(path.join(__dirname, '../../fixtures/models', `${name}.onnx`)));

test('transformer: token sequences of any length train; float tokens are refused', async () => {
  const rand = createRandom(3);
  const tokens = (n: number, t: number) => new Tensor('int64', BigInt64Array.from({ length: n * t }, () => BigInt(Math.floor(rand() * 100))), [n, t]);
  const labels = new Tensor('int64', BigInt64Array.from([0n, 1n, 2n, 3n]), [4]);
  const session = await TrainingSession.create({ model: model('transformer'), loss: 'cross_entropy', optimizer: (p) => new Adam(p, { lr: 3e-3 }) });
  const batch = { inputs: { input: tokens(4, 6) }, labels };
  const first = (await session.evalStep(batch)).loss;
  for (let i = 0; i < 8; i++) await session.trainStep(batch);
  expect((await session.evalStep(batch)).loss).toBeLessThan(first * 0.7);
  // Another sequence length works with the same graphs.
  expect(Number.isFinite((await session.trainStep({ inputs: { input: tokens(4, 9) }, labels })).loss)).toBe(true);
  // Token ids are int64: float tokens are refused before running.
  await expect(session.trainStep({ inputs: { input: new Tensor('float32', new Float32Array(24), [4, 6]) }, labels }))
    .rejects.toThrow(/input 'input': element type is float32, the model wants int64/);
  await session.release();
});

test('mobilenet_v3_small (BatchNormalization kept): only the classifier trains; every other initializer is exported unchanged', async () => {
  const rand = createRandom(5);
  const x = new Tensor('float32', Float32Array.from({ length: 2 * 3 * 64 * 64 }, () => rand() * 2 - 1), [2, 3, 64, 64]);
  const labels = new Tensor('int64', BigInt64Array.from([7n, 123n]), [2]);
  const session = await TrainingSession.create({
    model: model('mobilenet_v3_small_bn'), loss: 'cross_entropy', trainable: /^classifier\./,
    // A frozen backbone, as torch's model.eval(): BatchNorm keeps its running statistics (mode 'train' would
    // update them, as torch does whatever trains).
    optimizer: (p) => new Adam(p, { lr: 1e-3 }), mode: 'eval',
  });
  expect(session.parameterNames.length).toBeGreaterThan(0);
  expect(session.parameterNames.every((n) => n.startsWith('classifier.'))).toBe(true);
  const batch = { inputs: { input: x }, labels };
  const first = (await session.evalStep(batch)).loss;
  for (let i = 0; i < 4; i++) await session.trainStep(batch);
  expect((await session.evalStep(batch)).loss).toBeLessThan(first);
  const before = new Map(decodeModel(model('mobilenet_v3_small_bn')).graph!.initializer!.map((t) => [t.name!, t]));
  const after = decodeModel(await session.exportModel()).graph!.initializer!;
  expect(after.map((t) => t.name)).toEqual([...before.keys()]);
  let changed = 0;
  for (const t of after) {
    const same = Buffer.compare(Buffer.from(t.rawData ?? []), Buffer.from(before.get(t.name!)!.rawData ?? [])) === 0;
    if (t.name!.startsWith('classifier.')) changed += same ? 0 : 1;
    else expect(same).toBe(true);
  }
  expect(changed).toBe(session.parameterNames.length);
  await session.release();
});

test('mobilenet_v3_small exported in eval mode trains in train mode: batch statistics, running statistics updated and exported', async () => {
  const rand = createRandom(6);
  const x = new Tensor('float32', Float32Array.from({ length: 4 * 3 * 64 * 64 }, () => rand() * 2 - 1), [4, 3, 64, 64]);
  const batch = { inputs: { input: x }, labels: new Tensor('int64', BigInt64Array.from([7n, 123n, 7n, 500n]), [4]) };
  const session = await TrainingSession.create({ model: model('mobilenet_v3_small_bn'), loss: 'cross_entropy', optimizer: (p) => new Adam(p, { lr: 1e-3 }) });
  expect(session.mode).toBe('train');
  const stats0 = session.runningStatistics();
  expect(stats0.size).toBeGreaterThan(60);
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) losses.push((await session.trainStep(batch)).loss);
  expect(losses.every(Number.isFinite)).toBe(true);
  expect(losses[2]).toBeLessThan(losses[0]);
  const stats = session.runningStatistics();
  let moved = 0;
  for (const [n, v] of stats) if (v.some((e, i) => e !== stats0.get(n)![i])) moved++;
  expect(moved).toBe(stats.size);
  const exported = new Map(decodeModel(await session.exportModel()).graph!.initializer!.map((t) => [t.name!, t]));
  const name = [...stats.keys()][0];
  expect(Float32Array.from(new Float32Array(new Uint8Array(exported.get(name)!.rawData!).slice().buffer))).toEqual(stats.get(name));
  await session.release();
});
