import { createRandom } from '@ortrain/trainer';

/** A seeded uniform stream, so every contestant and every run sees the same numbers. */
export const uniform = createRandom;

/** `n` float32 values uniform in [lo, hi). */
export function uniformArray(n: number, lo: number, hi: number, rand: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}
