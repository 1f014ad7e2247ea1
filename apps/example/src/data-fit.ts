import { Tensor } from 'onnxruntime-node';
import { type Dataset, gatherRows } from './dataset';
import { InputError } from './errors';
import { formatShape, type ModelInfo, type TensorInfo } from './model-info';

/** The losses the CLI offers, by the trainer's names. */
export const LOSSES = ['cross_entropy', 'mse', 'l1', 'bce_with_logits'] as const;
export type LossName = (typeof LOSSES)[number];

/** How the rows of a data file become the model's input and the loss's labels. */
export interface DataFit {
  input: TensorInfo;
  /** The input's shape after the batch dimension; each row's features fill it. */
  sampleShape: number[];
  /** The output the loss applies to (the model's first). */
  output: TensorInfo;
  loss: LossName;
  /** Class count for cross-entropy (the output's axis 1). */
  classCount?: number;
  /** A label's shape after the batch dimension: [] for class indices, the output's for regression. */
  labelShape: number[];
}

function pickInput(model: ModelInfo, inputName: string | undefined, modelSource: string): TensorInfo {
  const names = model.inputs.map((i) => `'${i.name}'`).join(', ');
  if (inputName !== undefined) {
    const found = model.inputs.find((i) => i.name === inputName);
    if (!found) throw new InputError(`${modelSource}: no input named '${inputName}' (inputs: ${names || 'none'})`);
    return found;
  }
  if (model.inputs.length !== 1) {
    throw new InputError(`${modelSource}: the model has ${model.inputs.length} inputs (${names || 'none'}); name the one the data feeds with --input-name`);
  }
  return model.inputs[0];
}

/**
 * Checks that a data set fits a model for a loss, and says how: the feature columns must fill one sample of
 * the input (all of its dimensions after the batch one), and the labels must suit the loss and the output.
 */
export function fitDataToModel(
  model: ModelInfo,
  data: Dataset,
  options: { loss: LossName; inputName?: string; modelSource?: string; dataSource?: string },
): DataFit {
  const modelSource = options.modelSource ?? 'model';
  const dataSource = options.dataSource ?? 'data';
  const input = pickInput(model, options.inputName, modelSource);
  if (input.dtype !== 'float32') {
    throw new InputError(`${modelSource}: input '${input.name}' is ${input.dtype}; CSV features can feed float32 inputs only`);
  }
  const rest = input.shape?.slice(1) ?? null;
  if (!input.shape || input.shape.length < 2 || !rest!.every((d) => typeof d === 'number' && d > 0)) {
    throw new InputError(
      `${modelSource}: input '${input.name}' has shape ${formatShape(input.shape)}; it needs a batch dimension first and fixed sizes after it to take CSV rows`,
    );
  }
  const sampleShape = rest as number[];
  const perRow = sampleShape.reduce((a, b) => a * b, 1);
  const featureCount = data.featureColumns.length;
  if (perRow !== featureCount) {
    throw new InputError(
      `${dataSource} has ${featureCount} feature columns (every column but '${data.labelColumn}'), ` +
        `but input '${input.name}' of ${modelSource} takes ${perRow} values per row (shape ${formatShape(input.shape)})`,
    );
  }
  if (model.outputs.length === 0) throw new InputError(`${modelSource}: the model has no outputs`);
  const output = model.outputs[0];
  const outRest = output.shape?.slice(1) ?? null;

  if (options.loss === 'cross_entropy') {
    if (!output.shape || output.shape.length !== 2) {
      throw new InputError(
        `${modelSource}: cross_entropy on one label column needs an output of shape [batch, classes]; output '${output.name}' has shape ${formatShape(output.shape)}`,
      );
    }
    const classes = output.shape[1];
    const classCount = typeof classes === 'number' ? classes : undefined;
    for (let r = 0; r < data.rowCount; r++) {
      const label = data.labels[r];
      if (!Number.isInteger(label) || label < 0 || (classCount !== undefined && label >= classCount)) {
        const range = classCount !== undefined ? `0..${classCount - 1}` : 'a non-negative integer';
        throw new InputError(
          `${dataSource}: label ${label} in data row ${r + 1} (line ${r + 2}) is not a class index ${range} for output '${output.name}'`,
        );
      }
    }
    return { input, sampleShape, output, loss: options.loss, classCount, labelShape: [] };
  }

  if (!outRest || !outRest.every((d) => d === 1)) {
    throw new InputError(
      `${modelSource}: ${options.loss} on one label column needs one value per row; output '${output.name}' has shape ${formatShape(output.shape)}`,
    );
  }
  if (options.loss === 'bce_with_logits') {
    for (let r = 0; r < data.rowCount; r++) {
      const label = data.labels[r];
      if (label < 0 || label > 1) {
        throw new InputError(`${dataSource}: label ${label} in data row ${r + 1} (line ${r + 2}) is outside [0, 1], as bce_with_logits needs`);
      }
    }
  }
  return { input, sampleShape, output, loss: options.loss, labelShape: outRest as number[] };
}

/** One batch as tensors: the model input by name, and the labels. */
export function makeBatch(fit: DataFit, data: Dataset, rows: Uint32Array): { inputs: Record<string, Tensor>; labels: Tensor } {
  const { features, labels } = gatherRows(data, rows);
  const n = rows.length;
  const inputs = { [fit.input.name]: new Tensor('float32', features, [n, ...fit.sampleShape]) };
  if (fit.loss === 'cross_entropy') {
    return { inputs, labels: new Tensor('int64', BigInt64Array.from(labels, (v) => BigInt(v)), [n]) };
  }
  return { inputs, labels: new Tensor('float32', Float32Array.from(labels), [n, ...fit.labelShape]) };
}
