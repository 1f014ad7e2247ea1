// The autodiff through each loss against torch's gradient of the loss w.r.t. the prediction (the oracle).
import * as ort from 'onnxruntime-node';
import { GraphBuilder, encodeModel } from '@ortrain/graph-builder';
import { buildGradientModel } from '../../src/autodiff';
import { resolveLoss } from '../../src/losses';
import { loadLossCases, oracleNumber, ortTensor } from './oracles';

const cases = loadLossCases().filter((c) => c.grad !== null);

/** relative L2 error |a - b| / |b| */
function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}

describe('gradients of the losses match torch', () => {
  test('the oracle has gradients for every finite case', () => {
    expect(cases.length).toBeGreaterThan(50);
  });

  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    // A model whose output is its one initializer: the gradient w.r.t. the initializer is the gradient
    // w.r.t. the prediction.
    const { dtype, shape, data } = c.prediction;
    const f = new GraphBuilder('forward');
    f.initializer('P', dtype, shape, dtype === 'float64' ? Float64Array.from(data, oracleNumber) : Float32Array.from(data, oracleNumber));
    f.output(f.identity(f.get('P')!), 'prediction');
    const resolved = resolveLoss(c.spec, { dtype, shape });
    const { model, gradientOutputs } = buildGradientModel(f.build(), {
      trainable: ['P'],
      loss: { build: resolved.build, labels: { name: 'labels', dtype: resolved.labels.dtype, shape: resolved.labels.shape! } },
    });
    const session = await ort.InferenceSession.create(encodeModel(model), { executionProviders: ['cpu'] });
    try {
      const out = await session.run({ P: ortTensor(dtype, shape, data), labels: ortTensor(resolved.labels.dtype, c.labels.shape, c.labels.data) });
      const loss = Number(out.loss.data[0]);
      const want = oracleNumber(c.loss);
      expect(Math.abs(loss - want)).toBeLessThanOrEqual(1e-6 * Math.abs(want) + 1e-12);
      const grad = Array.from(out[gradientOutputs.P].data as Float32Array, Number);
      const error = relL2(grad, c.grad!.data.map(oracleNumber));
      expect({ error, ok: error <= 1e-5 }).toEqual({ error, ok: true });
    } finally {
      await session.release();
    }
  });
});
