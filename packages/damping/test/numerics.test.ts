// The roundings, reductions and random draws against numpy 1.24 (test/data/numpy.json, written by
// scripts/make-numpy-fixture.py).
import * as fs from 'fs';
import * as path from 'path';
import { npMean, npMedian, npSumSquares, pyFloorDiv, roundHalfEven } from '../src/numerics';
import { Sampler } from '../src';

const np = JSON.parse(fs.readFileSync(path.join(__dirname, 'data/numpy.json'), 'utf8'));

test('Python float floor division, not Math.floor(a / b)', () => {
  for (const [a, b, q] of np.floor_div as [number, number, number][]) expect([a, b, pyFloorDiv(a, b)]).toEqual([a, b, q]);
  expect(Math.floor(1.0 / 0.1)).toBe(10); // what a naive port would use
  expect(pyFloorDiv(1.0, 0.1)).toBe(9);
});

test('numpy round: ties to even', () => {
  for (const [x, r] of np.round as [number, number][]) expect([x, roundHalfEven(x)]).toEqual([x, r]);
});

test('np.mean (pairwise sums) and np.median of 1..300 values, to the bit', () => {
  const values = np.values as number[];
  for (let n = 1; n <= 300; n++) {
    expect([n, npMean(values.slice(0, n))]).toEqual([n, np.mean[n - 1]]);
    expect([n, npMedian(values.slice(0, n))]).toEqual([n, np.median[n - 1]]);
  }
});

test('np.sum(g**2) in float32 and float64, to the bit', () => {
  const f32 = Float32Array.from(np.float32_values as number[]);
  [1, 7, 8, 9, 100, 128, 129, 300, 1000].forEach((n, i) => expect([n, npSumSquares(f32.subarray(0, n))]).toEqual([n, np.float32_sum_squares[i]]));
  const f64 = Float64Array.from(np.values as number[]);
  [1, 7, 8, 9, 100, 128, 129, 300].forEach((n, i) => expect([n, npSumSquares(f64.subarray(0, n))]).toEqual([n, np.float64_sum_squares[i]]));
});

test('Sampler draws the batches of numpy RandomState(seed).choice(n, size, replace=False)', () => {
  for (const s of np.sampling as { seed: number; dataset_size: number; sizes: number[]; batches: number[][] }[]) {
    const sampler = new Sampler({ datasetSize: s.dataset_size, seed: s.seed });
    s.sizes.forEach((size, i) => expect(Array.from(sampler.sample(size))).toEqual(s.batches[i]));
    expect(sampler.draws).toBe(s.sizes.length);
  }
});

test('Sampler: a batch larger than the dataset is the whole dataset, as adadamp draws it', () => {
  const batch = new Sampler({ datasetSize: 10, seed: 3 }).sample(25);
  expect(Array.from(batch).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('Sampler state dict: a resumed sampler draws the same batches (through JSON)', () => {
  const a = new Sampler({ datasetSize: 1000, seed: 42 });
  a.sample(8);
  const saved = JSON.parse(JSON.stringify(a.stateDict()));
  const rest = [a.sample(9), a.sample(33)].map((x) => Array.from(x));
  const b = new Sampler({ datasetSize: 1000, seed: 42 });
  b.loadStateDict(saved);
  expect([b.sample(9), b.sample(33)].map((x) => Array.from(x))).toEqual(rest);
  expect(b.draws).toBe(3);
  expect(rest).toEqual((np.sampling[1].batches as number[][]).slice(1, 3));
});

test('Sampler: bad options and state dicts throw RangeErrors naming them, and change nothing', () => {
  expect(() => new Sampler({ datasetSize: 0 })).toThrow(/Sampler: invalid datasetSize 0/);
  expect(() => new Sampler({ datasetSize: 10, seed: -1 })).toThrow(/Sampler: invalid seed -1/);
  expect(() => new Sampler({ datasetSize: 10, seed: 2 ** 32 })).toThrow(/invalid seed/);
  expect(() => new Sampler({ datasetSize: 10, seed: 0.5 })).toThrow(/invalid seed 0.5/);
  expect(() => new Sampler({ datasetSize: 10, random_state: 1 } as never)).toThrow(/unknown option 'random_state'/);
  const s = new Sampler({ datasetSize: 10, seed: 0 });
  expect(() => s.sample(-1)).toThrow(/Sampler.sample: invalid batchSize -1/);
  expect(() => s.loadStateDict({ ...s.stateDict(), datasetSize: 11 })).toThrow(/dataset of 11 examples/);
  const state = s.stateDict();
  expect(() => s.loadStateDict({ ...state, mt: { key: [1, 2], pos: 0 } })).toThrow(/invalid mt/);
  expect(Array.from(s.sample(4))).toEqual(np.sampling[0].batches[0]);
});
