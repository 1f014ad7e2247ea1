// Divergence warnings: the loss growing by orders of magnitude within a window of steps.
import { Tensor } from 'onnxruntime-node';
import { SGD } from '@ortrain/optimizers';
import { DivergenceWatch, TrainingSession } from '../../src/session';
import type { Divergence } from '../../src/session';
import { tinyModel } from './tiny-model';

describe('DivergenceWatch', () => {
  test('reports a loss 1000x the smallest of the window, once, then watches a fresh window', () => {
    const w = new DivergenceWatch({ window: 5 });
    const seen = [2, 1.5, 1, 3, 80, 900, 1500, 2000].map((l, i) => w.record(i + 1, l));
    expect(seen.slice(0, 6)).toEqual(new Array(6).fill(undefined)); // 900 is below 1000 x 1
    expect(seen[6]).toEqual({ step: 7, loss: 1500, from: 1, fromStep: 3, growth: 1500 });
    expect(seen[7]).toBeUndefined();
  });

  test('the exact rule: growth >= factor fires; below it does not; the window forgets old minima', () => {
    const w = new DivergenceWatch({ window: 3, factor: 100 });
    expect(w.record(1, 1)).toBeUndefined();
    expect(w.record(2, 99)).toBeUndefined();
    expect(w.record(3, 100)).toMatchObject({ step: 3, from: 1, growth: 100 });
    // A fresh window starts at the reported loss.
    expect(w.record(4, 5000)).toBeUndefined();
    const v = new DivergenceWatch({ window: 2, factor: 100 });
    for (const [i, l] of [1, 50, 60, 150].entries()) expect(v.record(i + 1, l)).toBeUndefined(); // 1 left the window
  });

  test('losses near zero are no base: 1e-9 back to 1e-6 after a start at 2 is not divergence', () => {
    const w = new DivergenceWatch({ window: 10 });
    for (const [i, l] of [2, 0.1, 1e-9, 1e-6, 1e-5].entries()) expect(w.record(i + 1, l)).toBeUndefined();
  });

  test('bad options are RangeErrors naming them', () => {
    expect(() => new DivergenceWatch({ window: 1 })).toThrow(/divergence\.window: must be an integer >= 2, got 1/);
    expect(() => new DivergenceWatch({ factor: 1 })).toThrow(/divergence\.factor: must be a finite number > 1, got 1/);
  });
});

test('a session with an lr far too large calls onDivergence; a sane lr does not', async () => {
  const batch = { inputs: { x: new Tensor('float32', Float32Array.from([1, 2, 3, -1, 0.5, 2]), [2, 3]) }, labels: new Tensor('float32', Float32Array.from([1, 0, 0, 1]), [2, 2]) };
  const run = async (lr: number) => {
    const reports: Divergence[] = [];
    const s = await TrainingSession.create({ model: tinyModel(), loss: 'mse', optimizer: (p) => new SGD(p, { lr }), onDivergence: (d) => reports.push(d), divergence: { window: 10 } });
    for (let i = 0; i < 8; i++) await s.trainStep(batch);
    await s.release();
    return reports;
  };
  const wild = await run(3); // the loss grows about 10x a step (with 1e9 it overflows at the third step)
  expect(wild.length).toBeGreaterThan(0);
  expect(wild[0].growth).toBeGreaterThanOrEqual(1000);
  expect(wild[0].loss).toBeGreaterThan(wild[0].from);
  expect(await run(0.05)).toEqual([]);
  await expect(TrainingSession.create({ model: tinyModel(), loss: 'mse', optimizer: (p) => new SGD(p, { lr: 1 }), onDivergence: 'warn' as unknown as () => void }))
    .rejects.toThrow(/onDivergence: expected a function, got/);
});
