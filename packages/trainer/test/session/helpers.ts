// Shared by the session tests: fixture models, seeded batches, parameter comparisons.
import * as path from 'path';
import { readFileSync } from 'fs';
import { Tensor } from 'onnxruntime-node';
import { createRandom } from '../../src/random';

export const FIXTURES = path.join(__dirname, '../../../../fixtures/models');
export const modelPath = (name: string) => path.join(FIXTURES, `${name}.onnx`);
export const modelBytes = (name: string) => new Uint8Array(readFileSync(modelPath(name)));

/** Seeded, so every run sees the same batches. */
export const random = createRandom;

/** A classification batch of `n` rows for an input of shape [n, ...featureDims] and `classes` classes. */
export function classBatch(n: number, featureDims: number[], classes: number, seed: number, inputName = 'input') {
  const rand = random(seed);
  const size = featureDims.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: n * size }, () => rand() * 2 - 1);
  const y = BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rand() * classes)));
  return { inputs: { [inputName]: new Tensor('float32', x, [n, ...featureDims]) }, labels: new Tensor('int64', y, [n]) };
}

export const mlpBatch = (n: number, seed: number) => classBatch(n, [64], 10, seed);
export const lenetBatch = (n: number, seed: number) => classBatch(n, [1, 28, 28], 10, seed);

/** Largest absolute difference between two sets of parameters. */
export function maxDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let m = 0;
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [n, x] of a) {
    const y = b.get(n)!;
    expect(y.length).toBe(x.length);
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  }
  return m;
}

/** Concatenates two batches along the first axis. */
export function concatBatches(a: ReturnType<typeof classBatch>, b: ReturnType<typeof classBatch>, inputName = 'input') {
  const xa = a.inputs[inputName];
  const xb = b.inputs[inputName];
  const x = new Float32Array(xa.size + xb.size);
  x.set(xa.data as Float32Array);
  x.set(xb.data as Float32Array, xa.size);
  const y = new BigInt64Array(a.labels.size + b.labels.size);
  y.set(a.labels.data as BigInt64Array);
  y.set(b.labels.data as BigInt64Array, a.labels.size);
  return {
    inputs: { [inputName]: new Tensor('float32', x, [xa.dims[0] + xb.dims[0], ...xa.dims.slice(1)]) },
    labels: new Tensor('int64', y, [y.length]),
  };
}
