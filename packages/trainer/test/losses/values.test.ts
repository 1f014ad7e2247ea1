// Losses against torch 1.13 (oracle made by tools/oracles/losses/make_losses.py), run through onnxruntime-node.
import { Dim } from '@ortrain/graph-builder';
import { resolveLoss } from '../../src/losses';
import { close, loadLossCases, lossModel, oracleNumber, ortTensor, runModel } from './oracles';

const cases = loadLossCases();

// The ops a loss may use: each has (or is planned to have) a gradient rule in the autodiff, or carries
// no gradient (the labels' side).
const ALLOWED_OPS = new Set(['LogSoftmax', 'Unsqueeze', 'Equal', 'Where', 'GatherElements', 'Gather', 'Mul', 'Add', 'Sub',
  'Div', 'Neg', 'Abs', 'Softplus', 'Relu', 'Exp', 'Log', 'ReduceSum', 'ReduceMean', 'Shape', 'Cast']);

/** Every dimension symbolic: the graph cannot use any size known when it is built. */
const symbolic = (shape: readonly number[], prefix: string): Dim[] => shape.map((_, i) => `${prefix}${i}`);

async function lossOf(c: (typeof cases)[number], dynamic: boolean, hideShapes = false): Promise<{ value: number; ops: string[] }> {
  const predShape: Dim[] = dynamic ? symbolic(c.prediction.shape, 'p') : c.prediction.shape;
  const resolved = resolveLoss(c.spec, hideShapes ? { dtype: c.prediction.dtype } : { dtype: c.prediction.dtype, shape: predShape });
  const labelDims = c.labels.shape;
  const labelShape: Dim[] = dynamic ? symbolic(labelDims, 'l') : labelDims;
  const model = lossModel(resolved.build, { dtype: c.prediction.dtype, shape: predShape }, { dtype: resolved.labels.dtype, shape: labelShape }, hideShapes);
  const out = await runModel(model, {
    prediction: ortTensor(c.prediction.dtype, c.prediction.shape, c.prediction.data),
    labels: ortTensor(resolved.labels.dtype, c.labels.shape, c.labels.data),
  });
  expect(out.loss.dims).toEqual([]);
  return { value: Number(out.loss.data[0]), ops: (model.graph!.node ?? []).map((n) => n.opType!) };
}

describe('losses match torch 1.13', () => {
  test('the oracle holds every kind', () => {
    const kinds = new Set(cases.map((c) => (typeof c.spec === 'string' ? c.spec : c.spec.kind)));
    expect([...kinds].sort()).toEqual(['bce_with_logits', 'cross_entropy', 'l1', 'mse']);
    expect(cases.length).toBeGreaterThan(50);
  });

  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const want = oracleNumber(c.loss);
    const { value, ops } = await lossOf(c, false);
    expect({ value, ok: close(value, want, 1e-6) }).toEqual({ value, ok: true });
    for (const op of ops) expect(ALLOWED_OPS).toContain(op);
  });

  test.each(cases.map((c) => [c.name, c] as const))('%s, every dimension symbolic', async (_name, c) => {
    const want = oracleNumber(c.loss);
    const { value } = await lossOf(c, true);
    expect({ value, ok: close(value, want, 1e-6) }).toEqual({ value, ok: true });
  });

  // A loss appended where the prediction's shape is not inferred: the class axis is used as given (default 1;
  // the unbatched [C] case needs a known rank), and ops take negative axes as they are.
  const batched = cases.filter((c) => c.prediction.shape.length > 1);
  test.each(batched.map((c) => [c.name, c] as const))('%s, shapes unknown to the builder', async (_name, c) => {
    const spec = c.spec as { kind: string; weight?: number[]; labelSmoothing?: number; classAxis?: number };
    if (spec.kind === 'cross_entropy' && spec.weight && spec.labelSmoothing && (spec.classAxis ?? 1) >= 0) {
      await expect(lossOf(c, false, true)).rejects.toThrow(/class weights with label smoothing need the prediction's rank/);
      return;
    }
    const { value } = await lossOf(c, false, true);
    expect({ value, ok: close(value, oracleNumber(c.loss), 1e-6) }).toEqual({ value, ok: true });
  });
});
