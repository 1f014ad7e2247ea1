// The damper protocol beyond adadamp.json: defaults, bad options, the lr cap, the signal callbacks, record()
// and the state dict's checks.
import * as fs from 'fs';
import * as path from 'path';
import {
  AdaDamp, AdaDampNN, BaseDamper, CntsDampLR, ConvergenceError, DamperMeta, GeoDamp, GeoDampLR, GradientDescent, PadaDamp, RadaDamp,
} from '../src';

const base = { datasetSize: 1000, lr: 0.1 };

async function run(d: BaseDamper, updates: number, record: (k: number) => object = () => ({})): Promise<{ batchSize: number; lr: number }[]> {
  const out = [];
  for (let k = 0; k < updates; k++) {
    const { batchSize, lr } = await d.next();
    out.push({ batchSize, lr });
    d.record({ examples: batchSize, ...record(k) });
  }
  return out;
}

test("adadamp's defaults, readable back as properties", () => {
  const d = new PadaDamp(base);
  expect([d.datasetSize, d.lr, d.initialBatchSize, d.maxBatchSize, d.dwell, d.wait, d.growthRate]).toEqual([1000, 0.1, 1, 1000, 20, 100, 1e-3]);
  const r = new RadaDamp(base);
  expect([r.reduction, r.rho]).toEqual(['min', 0.2]);
  const g = new GeoDamp(base);
  expect([g.dampingdelay, g.dampingfactor]).toEqual([5, 2]);
  const c = new CntsDampLR({ ...base, initialBatchSize: 16 });
  expect([c.dampingfactor, c.maxBatchSize]).toEqual([0.02, 16]);
  expect(new GeoDampLR({ ...base, initialBatchSize: 4 }).maxBatchSize).toBe(4);
  const a = new AdaDamp({ ...base, loss: () => 1 });
  expect([a.approxLoss, a.bestTrainLoss]).toEqual([false, null]);
  const n = new AdaDampNN({ ...base, gradients: () => [new Float32Array(1)] });
  expect([n.approx, n.noisy, n.bestNorm2]).toEqual([false, false, 1]);
  expect(new PadaDamp({ ...base, maxBatchSize: Infinity }).maxBatchSize).toBe(Infinity);
  expect(d.meta).toMatchObject({ damper: 'padadamp', modelUpdates: 0, numExamples: 0, epochs: 0, batchLoss: null, damping: null, batchSize: 1, lr: 0.1, lrFactor: 1, growthRate: 1e-3 });
});

test.each([
  ['initialBatchSize', { initialBatchSize: 0 }, /PadaDamp: invalid initialBatchSize 0 /],
  ['dwell', { dwell: 0 }, /PadaDamp: invalid dwell 0 /],
  ['wait', { wait: -1 }, /PadaDamp: invalid wait -1 /],
  ['maxBatchSize', { initialBatchSize: 8, maxBatchSize: 4 }, /PadaDamp: invalid maxBatchSize 4 .*>= initialBatchSize 8/],
  ['maxBatchSize NaN', { maxBatchSize: NaN }, /PadaDamp: invalid maxBatchSize NaN .*Infinity for no maximum/],
  ['non-finite dwell', { dwell: Infinity }, /PadaDamp: invalid dwell Infinity/],
  ['non-finite lr', { lr: NaN }, /PadaDamp: invalid lr NaN/],
  ['growthRate', { growthRate: -1 }, /PadaDamp: invalid growthRate -1/],
  ['datasetSize', { datasetSize: 10.5 }, /PadaDamp: invalid datasetSize 10.5 \(must be an integer >= 1\)/],
  ['a snake_case name', { growth_rate: 0.5 }, /PadaDamp: unknown option 'growth_rate' = 0.5/],
])('PadaDamp: a bad %s throws a RangeError naming it', (_what, bad, message) => {
  expect(() => new PadaDamp({ ...base, ...bad } as never)).toThrow(RangeError);
  expect(() => new PadaDamp({ ...base, ...bad } as never)).toThrow(message);
});

test('every damper checks its own options', () => {
  expect(() => new PadaDamp({ lr: 0.1 } as never)).toThrow(/PadaDamp: invalid datasetSize undefined/);
  expect(() => new PadaDamp({ datasetSize: 10 } as never)).toThrow(/PadaDamp: invalid lr undefined/);
  expect(() => new RadaDamp({ ...base, reduction: 'sum' } as never)).toThrow(/RadaDamp: invalid reduction 'sum' \(must be one of 'min', 'median', 'mean', 'max'\)/);
  expect(() => new RadaDamp({ ...base, rho: 1 })).toThrow(/RadaDamp: invalid rho 1 \(must be in \[0, 1\)\)/);
  expect(() => new GeoDamp({ ...base, dampingfactor: 0.5 })).toThrow(/GeoDamp: invalid dampingfactor 0.5/);
  expect(() => new GeoDamp({ ...base, dampingdelay: 0 })).toThrow(/GeoDamp: invalid dampingdelay 0 \(must be a finite number > 0\)/);
  expect(() => new GeoDampLR({ ...base, initialBatchSize: 8, maxBatchSize: 64 })).toThrow(/GeoDampLR: invalid maxBatchSize 64 \(GeoDampLR fixes it to initialBatchSize, 8/);
  expect(() => new CntsDampLR({ ...base, dampingfactor: -0.1 })).toThrow(/CntsDampLR: invalid dampingfactor -0.1/);
  expect(() => new AdaDamp(base as never)).toThrow(/AdaDamp: invalid loss undefined \(must be a function/);
  expect(() => new AdaDamp({ ...base, loss: () => 1, bestTrainLoss: NaN })).toThrow(/AdaDamp: invalid bestTrainLoss NaN/);
  expect(() => new AdaDampNN(base as never)).toThrow(/AdaDampNN: invalid gradients undefined/);
  expect(() => new BaseDamper({ ...base, wait: -2 })).toThrow(/BaseDamper: invalid wait -2/);
  expect(() => new GradientDescent({ ...base, growthRate: 1 } as never)).toThrow(/GradientDescent: unknown option 'growthRate'/);
});

test('the lr factor when the batch size reaches maxBatchSize, never restored afterwards (adadamp)', async () => {
  const losses = [1, 0.1, 1, 0.05];
  const d = new AdaDamp({ ...base, initialBatchSize: 8, maxBatchSize: 40, dwell: 1, wait: 0, loss: (m) => losses[m.modelUpdates] });
  const steps = await run(d, 4);
  // k=1: ceil(8 * 1 / 0.1) = 80 >= 40: batch 40, lr 0.1 * 40 / 80; k=2: batch 8, the lr stays; k=3: 160 -> lr 0.1 * 40 / 160.
  expect(steps).toEqual([{ batchSize: 8, lr: 0.1 }, { batchSize: 40, lr: 0.05 }, { batchSize: 8, lr: 0.05 }, { batchSize: 40, lr: 0.025 }]);
  expect(d.meta).toMatchObject({ damping: 160, batchSize: 40, lr: 0.025, lrFactor: 0.25, numExamples: 96 });
  // No maximum: the batch is the whole dataset at most, the lr never moves.
  const free = new AdaDamp({ ...base, initialBatchSize: 8, maxBatchSize: Infinity, dwell: 1, wait: 0, loss: (m) => [1, 0.1, 0.001][m.modelUpdates] });
  expect(await run(free, 3)).toEqual([{ batchSize: 8, lr: 0.1 }, { batchSize: 80, lr: 0.1 }, { batchSize: 1000, lr: 0.1 }]);
});

test('AdaDamp: the loss callback sees meta as at update k, only when damping() is evaluated; async works', async () => {
  const seen: Pick<DamperMeta, 'modelUpdates' | 'numExamples' | 'epochs'>[] = [];
  const d = new AdaDamp({
    ...base, initialBatchSize: 4, dwell: 5, wait: 0,
    loss: async (m) => {
      seen.push({ modelUpdates: m.modelUpdates, numExamples: m.numExamples, epochs: m.epochs });
      await new Promise((r) => setTimeout(r, 1));
      return 1 / (1 + m.modelUpdates);
    },
  });
  const steps = await run(d, 11);
  expect(seen.map((s) => s.modelUpdates)).toEqual([0, 5, 10]);
  expect(seen[1]).toEqual({ modelUpdates: 5, numExamples: 20, epochs: 0.02 });
  expect(steps.map((s) => s.batchSize)).toEqual([4, 4, 4, 4, 4, 24, 24, 24, 24, 24, 44]);
  expect(d.meta).toMatchObject({ initialLoss: 1, completeLoss: 1 / 11 });
});

test('AdaDamp: a NaN loss gives batch size 1; bestTrainLoss is subtracted from both losses', async () => {
  const nan = new AdaDamp({ ...base, initialBatchSize: 8, dwell: 1, wait: 0, loss: (m) => (m.modelUpdates === 1 ? NaN : 1) });
  expect((await run(nan, 2)).map((s) => s.batchSize)).toEqual([8, 1]);
  const best = new AdaDamp({ ...base, initialBatchSize: 8, dwell: 1, wait: 0, bestTrainLoss: 0.5, loss: (m) => [1.5, 0.75][m.modelUpdates] });
  expect((await run(best, 2)).map((s) => s.batchSize)).toEqual([8, 32]); // 8 * (1.5 - 0.5) / (0.75 - 0.5)
});

test('a failing callback leaves the damper as it was; the next call continues as if nothing happened', async () => {
  let fail = true;
  const loss = (m: DamperMeta): number => {
    if (m.modelUpdates === 3 && fail) {
      fail = false;
      throw new Error('loss evaluation failed');
    }
    return 1 / (1 + 0.5 * m.modelUpdates);
  };
  const d = new AdaDamp({ ...base, initialBatchSize: 2, dwell: 1, wait: 0, loss });
  await run(d, 3);
  const before = d.stateDict();
  await expect(d.next()).rejects.toThrow('loss evaluation failed');
  expect(d.stateDict()).toEqual(before);
  const rest = await run(d, 3);
  const clean = new AdaDamp({ ...base, initialBatchSize: 2, dwell: 1, wait: 0, loss: (m) => 1 / (1 + 0.5 * m.modelUpdates) });
  expect(rest).toEqual((await run(clean, 6)).slice(3));
});

test('next() twice before record() is one decision; record() needs a next()', async () => {
  let calls = 0;
  const d = new AdaDamp({ ...base, initialBatchSize: 3, loss: () => (calls++, 1) });
  expect(() => d.record()).toThrow(/AdaDamp.record: no update in progress \(update 0\)/);
  const [a, b] = await Promise.all([d.next(), d.next()]);
  expect(await d.next()).toEqual(a);
  expect(b).toEqual(a);
  expect(calls).toBe(1);
  d.record();
  expect(d.meta).toMatchObject({ modelUpdates: 1, numExamples: 3, batchLoss: null });
  expect(() => d.record()).toThrow(/no update in progress \(update 1\)/);
});

test('RadaDamp needs loss and gradNorm2 in record(); a record without them changes nothing', async () => {
  const d = new RadaDamp({ ...base, dwell: 1, wait: 0 });
  await d.next();
  const before = d.stateDict();
  expect(() => d.record({ loss: 1 })).toThrow(/RadaDamp.record: gradNorm2 is required \(the update's squared gradient norm\), got undefined/);
  expect(() => d.record({ gradNorm2: 1 })).toThrow(/RadaDamp.record: loss is required/);
  expect(() => d.record({ loss: 1, gradNorm2: 1, examples: -1 })).toThrow(/RadaDamp.record: invalid examples -1/);
  expect(d.stateDict()).toEqual(before);
  d.record({ loss: 1, gradNorm2: 2 });
  expect(d.meta).toMatchObject({ norm2Hist: [2], lossHist: [1], batchLoss: 1 });
});

test('ConvergenceError once past the first epoch with a loss >= 3e3 or NaN, as adadamp; the damper stays as it was', async () => {
  const d = new PadaDamp({ datasetSize: 10, lr: 0.1, initialBatchSize: 6 });
  await d.next();
  d.record({ loss: 5e3 }); // epoch 0: adadamp lets it pass
  await d.next();
  d.record({ loss: 1 }); // epochs is now 1.2
  await d.next();
  const before = d.stateDict();
  expect(() => d.record({ loss: NaN })).toThrow(ConvergenceError);
  expect(() => d.record({ loss: 3e3 })).toThrow(/PadaDamp: the model is diverging; batch loss 3000 at update 2/);
  expect(d.stateDict()).toEqual(before);
  d.record({ loss: 2 });
  expect(d.meta.modelUpdates).toBe(3);
});

test('AdaDampNN: the norm of float32 gradients is summed as numpy sums it', async () => {
  const np = JSON.parse(fs.readFileSync(path.join(__dirname, 'data/numpy.json'), 'utf8'));
  const g = Float32Array.from(np.float32_values as number[]);
  const grads = [g.slice(0, 12), g.slice(12, 16), g.slice(16, 1000)];
  const d = new AdaDampNN({ ...base, initialBatchSize: 8, dwell: 1, wait: 0, gradients: (m) => (m.modelUpdates === 0 ? grads : [grads[0].map((x) => x / 2)]) });
  await run(d, 2);
  expect(d.meta.initialNorm2).toBe(np.adadampnn_norm2.norm2);
  expect(d.meta.damping).toBeGreaterThan(8);
  await expect(new AdaDampNN({ ...base, gradients: () => [[1, 2]] as never }).next()).rejects.toThrow(/AdaDampNN: the gradients callback must return a non-empty array of Float32Array or Float64Array/);
});

test('GradientDescent: the whole dataset every update at the initial lr', async () => {
  expect(await run(new GradientDescent({ datasetSize: 50, lr: 0.3, initialBatchSize: 8 }), 3)).toEqual([
    { batchSize: 50, lr: 0.3 }, { batchSize: 50, lr: 0.3 }, { batchSize: 50, lr: 0.3 },
  ]);
});

test('GeoDamp with a non-integer factor draws int(batch) examples, as adadamp', async () => {
  const d = new GeoDamp({ datasetSize: 100, lr: 0.1, initialBatchSize: 8, dampingfactor: 1.5, dampingdelay: 0.1, dwell: 1, wait: 0 });
  const steps = await run(d, 6);
  // epochs before each update: 0, .08, .16, .28, .46, .86 -> 8 * 1.5 ** (0, 0, 1, 2, 4, 8) = 8, 8, 12, 18, 40.5, 205.03
  expect(steps.map((s) => s.batchSize)).toEqual([8, 8, 12, 18, 40, 100]);
  expect(steps[5].lr).toBe((0.1 * 100) / (8 * 1.5 ** 8));
});

test('loadStateDict: a bad state dict throws a RangeError naming the field and changes nothing', async () => {
  const d = new RadaDamp({ ...base, dwell: 1, wait: 0 });
  await run(d, 3, (k) => ({ loss: 1 / (k + 1), gradNorm2: 1 }));
  const saved = d.stateDict();
  expect(() => d.loadStateDict(new PadaDamp(base).stateDict())).toThrow(/RadaDamp.loadStateDict: the state dict is a PadaDamp's, not a RadaDamp's/);
  expect(() => d.loadStateDict({ ...saved, modelUpdates: -1 })).toThrow(/RadaDamp.loadStateDict: invalid modelUpdates -1/);
  expect(() => d.loadStateDict({ ...saved, extra: { ...saved.extra, lossHist: 'x' } })).toThrow(/invalid extra.lossHist/);
  expect(() => d.loadStateDict({ ...saved, numExamples: 0, extra: { ...saved.extra, norm2Hist: [1, 2, 3] } })).toThrow(/extra.norm2Hist has 3 values, extra.lossHist 1/);
  expect(d.stateDict()).toEqual(saved);
});
