import { uniform, uniformArray } from '../random';

/** The tensors of one Adam benchmark case: parameters in [-1, 1) and gradients in [-0.01, 0.01). */
export interface AdamProblem {
  sizes: number[];
  params: Float32Array[];
  grads: Float32Array[];
}

export const LR = 1e-3;
export const BETA1 = 0.9;
export const BETA2 = 0.999;
export const EPS = 1e-8;

/** `total` parameters as `tensors` equal tensors (the last one takes the remainder). */
export function splitSizes(total: number, tensors: number): number[] {
  const each = Math.floor(total / tensors);
  const sizes = new Array<number>(tensors).fill(each);
  sizes[tensors - 1] += total - each * tensors;
  return sizes;
}

/** Fresh arrays for one contestant, the same values for every contestant. */
export function makeProblem(sizes: number[], seed = 1): AdamProblem {
  const rand = uniform(seed);
  return {
    sizes,
    params: sizes.map((n) => uniformArray(n, -1, 1, rand)),
    grads: sizes.map((n) => uniformArray(n, -0.01, 0.01, rand)),
  };
}
