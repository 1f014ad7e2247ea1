import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { DataFit } from './data-fit';
import type { Dataset } from './dataset';
import { batchesOf, gatherRows } from './dataset';

/**
 * Runs an exported model file with plain onnxruntime-node (no ortrain code in the way) over the given rows
 * and returns the fitted output, row after row.
 */
export async function runExportedModel(path: string, fit: DataFit, data: Dataset, rows: Uint32Array): Promise<Float32Array> {
  const session = await InferenceSession.create(path, { executionProviders: ['cpu'] });
  try {
    const chunks: Float32Array[] = [];
    for (const batch of batchesOf(rows, 256)) {
      const { features } = gatherRows(data, batch);
      const result = await session.run({ [fit.input.name]: new Tensor('float32', features, [batch.length, ...fit.sampleShape]) });
      chunks.push(result[fit.output.name].data as Float32Array);
    }
    return concat(chunks);
  } finally {
    await session.release();
  }
}

/** Float32 chunks joined end to end. */
export function concat(chunks: Float32Array[]): Float32Array {
  const out = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Share of rows whose largest output is at the label's index; outputs hold the same number of values per row. */
export function accuracy(outputs: Float32Array, labels: ArrayLike<number>): number {
  const classes = outputs.length / labels.length;
  let correct = 0;
  for (let r = 0; r < labels.length; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (outputs[r * classes + c] > outputs[r * classes + best]) best = c;
    if (best === labels[r]) correct++;
  }
  return labels.length === 0 ? NaN : correct / labels.length;
}
