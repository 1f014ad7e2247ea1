import type { Tensor } from 'onnxruntime-common';

/**
 * A metric of the eval dataset: from one batch's model outputs (by name) and labels, the batch's mean
 * value. `fit` averages it over the dataset, weighting each batch by its size.
 */
export type Metric = (outputs: Record<string, Tensor>, labels: Tensor) => number;

/**
 * Classification accuracy: the share of examples whose largest output (along the last axis of `output`,
 * default the model's first output) is at the label's class index. Labels equal to `ignoreIndex` are
 * counted as wrong, as they have no class.
 */
export function accuracy(output?: string): Metric {
  return (outputs, labels) => {
    const name = output ?? Object.keys(outputs)[0];
    const t = outputs[name];
    if (!t) throw new RangeError(`accuracy: the model has no output '${name}' (its outputs are ${Object.keys(outputs).map((n) => `'${n}'`).join(', ')})`);
    const values = t.data as Float32Array;
    const truth = labels.data as ArrayLike<number | bigint>;
    const n = truth.length;
    if (n === 0) return NaN;
    const classes = values.length / n;
    if (!Number.isInteger(classes) || classes < 1) {
      throw new RangeError(`accuracy: output '${name}' of shape [${t.dims.join(', ')}] does not hold a whole number of scores per label (${n} labels)`);
    }
    let correct = 0;
    for (let r = 0; r < n; r++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (values[r * classes + c] > values[r * classes + best]) best = c;
      if (best === Number(truth[r])) correct++;
    }
    return correct / n;
  };
}
