import { RandomStream, shuffle } from '../random';

/**
 * A seeded random split of row indices into training and held-out rows. The held-out part is
 * round(rowCount * valFraction) rows, at least one when valFraction > 0; valFraction 0 holds nothing out.
 */
export function splitRows(rowCount: number, valFraction: number, seed: number): { train: Uint32Array; val: Uint32Array } {
  if (!(valFraction >= 0 && valFraction < 1)) throw new RangeError(`valFraction: expected a number in [0, 1), got ${valFraction}`);
  const stream = new RandomStream(seed);
  const order = shuffle(Uint32Array.from({ length: rowCount }, (_, i) => i), () => stream.next());
  const valCount = valFraction === 0 ? 0 : Math.max(1, Math.round(rowCount * valFraction));
  if (rowCount - valCount < 1) {
    throw new RangeError(`valFraction: a split of ${valFraction} leaves no training rows out of ${rowCount}`);
  }
  return { val: order.slice(0, valCount), train: order.slice(valCount) };
}

/** Consecutive batches of at most batchSize indices (the last one may be smaller). */
export function batchesOf(indices: Uint32Array, batchSize: number): Uint32Array[] {
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`batchSize: expected a positive integer, got ${batchSize}`);
  const out: Uint32Array[] = [];
  for (let i = 0; i < indices.length; i += batchSize) out.push(indices.subarray(i, Math.min(i + batchSize, indices.length)));
  return out;
}
