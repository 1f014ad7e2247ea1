import type { NumericTable } from './csv';
import { InputError, listNames } from './errors';
import { createRandom, shuffle } from '@ortrain/trainer';

/** Rows of float32 features and one numeric label per row. */
export interface Dataset {
  featureColumns: string[];
  labelColumn: string;
  rowCount: number;
  /** rowCount * featureColumns.length values, row-major. */
  features: Float32Array;
  labels: Float64Array;
}

/**
 * Splits a table into features (every column but the label, in file order, each multiplied by
 * `featureScale`) and labels.
 */
export function toDataset(table: NumericTable, labelColumn: string, featureScale = 1, source = 'data'): Dataset {
  const labelIndex = table.columns.indexOf(labelColumn);
  if (labelIndex < 0) {
    throw new InputError(`${source}: no label column '${labelColumn}' (columns: ${listNames(table.columns)})`);
  }
  if (table.columns.length < 2) throw new InputError(`${source}: no feature columns besides the label column '${labelColumn}'`);
  const width = table.columns.length;
  const featureColumns = table.columns.filter((_, i) => i !== labelIndex);
  const features = new Float32Array(table.rowCount * (width - 1));
  const labels = new Float64Array(table.rowCount);
  for (let r = 0; r < table.rowCount; r++) {
    let f = r * (width - 1);
    for (let c = 0; c < width; c++) {
      const v = table.values[r * width + c];
      if (c === labelIndex) labels[r] = v;
      else features[f++] = v * featureScale;
    }
  }
  return { featureColumns, labelColumn, rowCount: table.rowCount, features, labels };
}

/**
 * A seeded random split of row indices into training and held-out rows. The held-out part is
 * round(rowCount * valFraction) rows, at least one when valFraction > 0; valFraction 0 holds nothing out.
 */
export function splitRows(rowCount: number, valFraction: number, seed: number): { train: Uint32Array; val: Uint32Array } {
  if (!(valFraction >= 0 && valFraction < 1)) throw new RangeError(`valFraction: expected a number in [0, 1), got ${valFraction}`);
  const order = shuffle(Uint32Array.from({ length: rowCount }, (_, i) => i), createRandom(seed));
  const valCount = valFraction === 0 ? 0 : Math.max(1, Math.round(rowCount * valFraction));
  if (rowCount - valCount < 1) {
    throw new InputError(`a validation split of ${valFraction} leaves no training rows out of ${rowCount}`);
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

/** The features and labels of the given rows, in that order. */
export function gatherRows(data: Dataset, rows: Uint32Array): { features: Float32Array; labels: Float64Array } {
  const width = data.featureColumns.length;
  const features = new Float32Array(rows.length * width);
  const labels = new Float64Array(rows.length);
  rows.forEach((row, i) => {
    features.set(data.features.subarray(row * width, (row + 1) * width), i * width);
    labels[i] = data.labels[row];
  });
  return { features, labels };
}
