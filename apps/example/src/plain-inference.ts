import { InferenceSession } from 'onnxruntime-node';
import { batchesOf, type Dataset } from '@ortrain/trainer';

/**
 * Runs an exported model file with plain onnxruntime-node (no ortrain code in the way) over every example of
 * a dataset and returns the output named `output`, row after row.
 */
export async function runExportedModel(path: string, data: Dataset, output: string): Promise<Float32Array> {
  const session = await InferenceSession.create(path, { executionProviders: ['cpu'] });
  try {
    const chunks: Float32Array[] = [];
    for (const rows of batchesOf(Uint32Array.from({ length: data.length }, (_, i) => i), 256)) {
      const { inputs } = await data.batch(rows);
      const result = await session.run(inputs);
      chunks.push(result[output].data as Float32Array);
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
