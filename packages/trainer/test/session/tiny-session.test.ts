import { Tensor } from 'onnxruntime-node';
import { SGD } from '@ortrain/optimizers';
import { IN, OUT, W0, B0, handGradientGraph, hostMse, tinyModel } from './tiny-model';

jest.mock('../../src/autodiff', () => ({ buildGradientGraph: (m: never, o: never) => handGradientGraph(m, o) }));
// eslint-disable-next-line import/first
import { TrainingSession } from '../../src/session';

function batch(n: number, seed: number) {
  const x = Float32Array.from({ length: n * IN }, (_, i) => Math.sin(seed * 7 + i * 1.3));
  const y = Float32Array.from({ length: n * OUT }, (_, i) => Math.cos(seed * 3 + i * 0.7));
  return { x, y, b: { inputs: { x: new Tensor('float32', x, [n, IN]) }, labels: new Tensor('float32', y, [n, OUT]) } };
}

test('one SGD step on the tiny model equals the host computation', async () => {
  const session = await TrainingSession.create({ model: tinyModel(), loss: 'mse', optimizer: (p) => new SGD(p, { lr: 0.1 }) });
  const { x, y, b } = batch(4, 1);
  const host = hostMse(W0, B0, x, y);
  const r = await session.trainStep(b);
  expect(r.loss).toBeCloseTo(host.loss, 5);
  const params = await session.parameters();
  W0.forEach((w, i) => expect(params.get('W')![i]).toBeCloseTo(w - 0.1 * host.gW[i], 5));
  B0.forEach((v, i) => expect(params.get('b')![i]).toBeCloseTo(v - 0.1 * host.gb[i], 5));
  await session.release();
});
