// resolveLoss: labels' type and shape, the normalised spec, bad options and bad inputs, out-of-range labels.
import { GraphBuilder } from '@ortrain/graph-builder';
import { LossSpec, resolveLoss } from '../../src/losses';
import { lossModel, ortTensor, runModel } from './oracles';

describe('resolveLoss', () => {
  test('cross-entropy labels are int64 of the prediction shape without the class axis', () => {
    expect(resolveLoss('cross_entropy', { dtype: 'float32', shape: ['batch', 10] }).labels).toEqual({ dtype: 'int64', shape: ['batch'] });
    expect(resolveLoss('cross_entropy', { dtype: 'float32', shape: [2, 5, 7, 9] }).labels).toEqual({ dtype: 'int64', shape: [2, 7, 9] });
    expect(resolveLoss({ kind: 'cross_entropy', classAxis: -1 }, { dtype: 'float32', shape: ['n', 't', 50] }).labels).toEqual({ dtype: 'int64', shape: ['n', 't'] });
    expect(resolveLoss('cross_entropy', { dtype: 'float32', shape: [6] }).labels).toEqual({ dtype: 'int64', shape: [] });
    expect(resolveLoss('cross_entropy').labels).toEqual({ dtype: 'int64' });
  });

  test('regression and BCE labels have the prediction type and shape', () => {
    for (const kind of ['mse', 'l1', 'bce_with_logits'] as const) {
      expect(resolveLoss(kind, { dtype: 'float32', shape: ['batch', 3] }).labels).toEqual({ dtype: 'float32', shape: ['batch', 3] });
      expect(resolveLoss(kind, { dtype: 'float64', shape: [4] }).labels).toEqual({ dtype: 'float64', shape: [4] });
      expect(resolveLoss(kind).labels).toEqual({ dtype: 'float32' });
    }
  });

  test('the spec comes back with torch defaults filled in, and the output choice', () => {
    expect(resolveLoss('cross_entropy').spec).toEqual({ kind: 'cross_entropy', ignoreIndex: -100, labelSmoothing: 0, reduction: 'mean' });
    const r = resolveLoss({ kind: 'cross_entropy', weight: Float32Array.from([1, 2]), classAxis: -1, output: 'logits' });
    expect(r.spec).toEqual({ kind: 'cross_entropy', weight: [1, 2], ignoreIndex: -100, labelSmoothing: 0, reduction: 'mean', classAxis: -1, output: 'logits' });
    expect(r.output).toBe('logits');
    expect(r.kind).toBe('cross_entropy');
    expect(resolveLoss({ kind: 'bce_with_logits', posWeight: 2 }).spec).toEqual({ kind: 'bce_with_logits', posWeight: [2], reduction: 'mean' });
    expect(resolveLoss({ kind: 'l1', reduction: 'sum' }).spec).toEqual({ kind: 'l1', reduction: 'sum' });
    expect(resolveLoss('mse').output).toBeUndefined();
    // The normalised spec resolves to the same loss.
    expect(resolveLoss(r.spec).spec).toEqual(r.spec);
  });

  const bad: [string, LossSpec | unknown, RegExp, { dtype: 'float32'; shape: (number | string)[] }?][] = [
    ['unknown kind', 'hinge', /unknown kind 'hinge'.*cross_entropy, mse, l1, bce_with_logits/],
    ['unknown kind in an object', { kind: 'nll' }, /unknown kind 'nll'/],
    ['not a spec', 42, /expected a name/],
    ['null', null, /expected a name/],
    ['labelSmoothing above 1', { kind: 'cross_entropy', labelSmoothing: 1.5 }, /labelSmoothing must be in \[0, 1\], got 1\.5/],
    ['labelSmoothing below 0', { kind: 'cross_entropy', labelSmoothing: -0.1 }, /labelSmoothing must be in \[0, 1\], got -0\.1/],
    ['labelSmoothing NaN', { kind: 'cross_entropy', labelSmoothing: NaN }, /labelSmoothing must be in \[0, 1\], got NaN/],
    ['negative class weight', { kind: 'cross_entropy', weight: [1, -1, 2] }, /weight\[1\] must be a finite number >= 0, got -1/],
    ['infinite class weight', { kind: 'cross_entropy', weight: [1, Infinity] }, /weight\[1\] must be a finite number >= 0, got Infinity/],
    ['empty class weight', { kind: 'cross_entropy', weight: [] }, /weight is empty/],
    ['class weight not an array', { kind: 'cross_entropy', weight: 3 }, /weight must be an array of numbers, got 3/],
    ['class weight of the wrong length', { kind: 'cross_entropy', weight: [1, 2, 3] }, /weight has 3 entries, the prediction has 5 classes/, { dtype: 'float32', shape: ['n', 5] }],
    ['unknown reduction', { kind: 'cross_entropy', reduction: 'none' }, /reduction must be 'mean' or 'sum', got 'none'/],
    ['unknown reduction of mse', { kind: 'mse', reduction: 'avg' }, /loss 'mse': reduction must be 'mean' or 'sum', got 'avg'/],
    ['classAxis out of range', { kind: 'cross_entropy', classAxis: 2 }, /classAxis 2 is out of range for a prediction of rank 2/, { dtype: 'float32', shape: ['n', 5] }],
    ['classAxis too negative', { kind: 'cross_entropy', classAxis: -4 }, /classAxis -4 is out of range for a prediction of rank 3/, { dtype: 'float32', shape: [2, 3, 4] }],
    ['classAxis not an integer', { kind: 'cross_entropy', classAxis: 0.5 }, /classAxis must be an integer, got 0\.5/],
    ['ignoreIndex not an integer', { kind: 'cross_entropy', ignoreIndex: 1.5 }, /ignoreIndex must be an integer, got 1\.5/],
    ['cross-entropy of a scalar', 'cross_entropy', /must have a class axis/, { dtype: 'float32', shape: [] }],
    ['misspelt option', { kind: 'cross_entropy', label_smoothing: 0.1 }, /unknown option 'label_smoothing' \(known: weight, ignoreIndex, labelSmoothing, reduction, classAxis\)/],
    ['option of another loss', { kind: 'mse', weight: [1] }, /loss 'mse': unknown option 'weight'/],
    ['negative posWeight', { kind: 'bce_with_logits', posWeight: [1, -2] }, /posWeight\[1\] must be a finite number >= 0, got -2/],
    ['negative scalar BCE weight', { kind: 'bce_with_logits', weight: -1 }, /weight\[0\] must be a finite number >= 0, got -1/],
    ['posWeight of the wrong length', { kind: 'bce_with_logits', posWeight: [1, 2] }, /posWeight has 2 entries, the last axis of the prediction of shape \[n, 3\] has 3/, { dtype: 'float32', shape: ['n', 3] }],
    ['empty output name', { kind: 'mse', output: '' }, /output must be the name of a model output, got ''/],
  ];
  for (const [what, spec, message, prediction] of bad) {
    test(`${what} is a RangeError naming it`, () => {
      const call = () => resolveLoss(spec as LossSpec, prediction);
      expect(call).toThrow(RangeError);
      expect(call).toThrow(message);
    });
  }
});

describe('bad inputs when the loss is built', () => {
  const build = (spec: LossSpec, pred: { dtype: 'float32' | 'int64'; shape: (number | string)[] }, labels: { dtype: 'float32' | 'int64' | 'float64'; shape: (number | string)[] }) => () => {
    const g = new GraphBuilder('t');
    resolveLoss(spec).build(g, g.input('logits', pred.dtype, pred.shape), g.input('target', labels.dtype, labels.shape));
  };

  test('cross-entropy labels must be int64', () => {
    expect(build('cross_entropy', { dtype: 'float32', shape: ['n', 4] }, { dtype: 'float32', shape: ['n'] })).toThrow(/labels 'target' must be int64 class indices, got float32/);
  });
  test('cross-entropy labels must fit the prediction without its class axis', () => {
    expect(build('cross_entropy', { dtype: 'float32', shape: [3, 4] }, { dtype: 'int64', shape: [4] })).toThrow(/labels 'target' of shape \[4\] do not fit the prediction 'logits' of shape \[3, 4\] with classes on axis 1 \(labels must be \[3\]\)/);
    expect(build('cross_entropy', { dtype: 'float32', shape: [3, 4, 5] }, { dtype: 'int64', shape: [3] })).toThrow(RangeError);
  });
  test('classAxis out of range is caught when only the built graph knows the rank', () => {
    expect(build({ kind: 'cross_entropy', classAxis: 3 }, { dtype: 'float32', shape: ['n', 4] }, { dtype: 'int64', shape: ['n'] })).toThrow(/classAxis 3 is out of range for a prediction of rank 2/);
  });
  test('class weights must match a known class count', () => {
    expect(build({ kind: 'cross_entropy', weight: [1, 1] }, { dtype: 'float32', shape: ['n', 4] }, { dtype: 'int64', shape: ['n'] })).toThrow(/weight has 2 entries, the prediction has 4 classes/);
  });
  test('the prediction must be float', () => {
    expect(build('mse', { dtype: 'int64', shape: [3] }, { dtype: 'int64', shape: [3] })).toThrow(/prediction 'logits' must be a float tensor, got int64/);
  });
  test('regression labels must have the prediction type and shape', () => {
    expect(build('mse', { dtype: 'float32', shape: [3] }, { dtype: 'float64', shape: [3] })).toThrow(/labels 'target' are float64, the prediction 'logits' is float32/);
    expect(build('l1', { dtype: 'float32', shape: [3, 2] }, { dtype: 'float32', shape: [3] })).toThrow(/labels 'target' of shape \[3\] do not fit the prediction 'logits' of shape \[3, 2\]/);
    expect(build('bce_with_logits', { dtype: 'float32', shape: [3, 2] }, { dtype: 'float32', shape: [3, 5] })).toThrow(RangeError);
  });
  test('posWeight must match the last axis', () => {
    expect(build({ kind: 'bce_with_logits', posWeight: [1, 2, 3] }, { dtype: 'float32', shape: ['n', 2] }, { dtype: 'float32', shape: ['n', 2] })).toThrow(/posWeight has 3 entries/);
  });
});

describe('labels out of range (documented: not checked by the graph)', () => {
  const logits = [0.5, -1, 2, 0.25, 1, 3];   // [2, 3]
  async function ceLoss(labels: number[]): Promise<number> {
    const model = lossModel(resolveLoss('cross_entropy').build, { dtype: 'float32', shape: [2, 3] }, { dtype: 'int64', shape: [2] });
    const out = await runModel(model, { prediction: ortTensor('float32', [2, 3], logits), labels: ortTensor('int64', [2], labels) });
    return Number(out.loss.data[0]);
  }
  test('a label of C or more fails the run on the CPU provider', async () => {
    await expect(ceLoss([0, 3])).rejects.toThrow(/GatherElements/);
  });
  test('a label in [-C, -1] counts from the end', async () => {
    expect(await ceLoss([0, -1])).toBeCloseTo(await ceLoss([0, 2]), 6);
  });
  test('the default ignoreIndex -100 is skipped, not gathered', async () => {
    const lse = (a: number[]) => Math.log(a.reduce((s, v) => s + Math.exp(v), 0));
    expect(await ceLoss([-100, 1])).toBeCloseTo(lse(logits.slice(3)) - logits[4], 6);
  });
});

describe('graphs stay small', () => {
  const count = (spec: LossSpec, pred: (number | string)[], labelDtype: 'int64' | 'float32', labels: (number | string)[]) => {
    const model = lossModel(resolveLoss(spec).build, { dtype: 'float32', shape: pred }, { dtype: labelDtype, shape: labels });
    return model.graph!.node!.length;
  };
  test('node counts', () => {
    expect(count('mse', ['n', 3], 'float32', ['n', 3])).toBe(3);
    expect(count('l1', ['n', 3], 'float32', ['n', 3])).toBe(3);
    expect(count('bce_with_logits', ['n', 3], 'float32', ['n', 3])).toBe(6);
    expect(count('cross_entropy', ['n', 10], 'int64', ['n'])).toBeLessThanOrEqual(11);
    expect(count({ kind: 'cross_entropy', ignoreIndex: 0, reduction: 'sum' }, ['n', 10], 'int64', ['n'])).toBeLessThanOrEqual(8);
  });
});
