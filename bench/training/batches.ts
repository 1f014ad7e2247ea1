import { uniform, uniformArray } from '../random';

export const BATCH = 32;
export const CLASSES = 10;
/** Batches cycled through, so no contestant trains on one batch held hot in cache. */
export const BATCHES = 8;

/** The two fixture models and the shape of one sample of their input. */
export const MODELS = {
  mlp: { sample: [64] },
  lenet: { sample: [1, 28, 28] },
} as const;
export type ModelName = keyof typeof MODELS;

export interface Batch {
  /** [BATCH, ...sample] float32 values in [0, 1). */
  x: Float32Array;
  shape: number[];
  /** Class indices in [0, CLASSES). */
  labels: Int32Array;
}

export function makeBatches(model: ModelName, seed = 7): Batch[] {
  const rand = uniform(seed);
  const shape = [BATCH, ...MODELS[model].sample];
  const size = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: BATCHES }, () => ({
    x: uniformArray(size, 0, 1, rand),
    shape,
    labels: Int32Array.from({ length: BATCH }, () => Math.floor(rand() * CLASSES)),
  }));
}
