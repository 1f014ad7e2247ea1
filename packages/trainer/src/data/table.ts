import type { Tensor } from 'onnxruntime-common';
import type { Batch, LabelCheck, TensorSpec } from '../session/batch';
import type { SessionModels } from '../session/training-graphs';
import type { NumericTable } from './csv';
import type { Dataset, TensorConstructor } from './dataset';
import { DataError } from './errors';

/** What a table dataset needs of a session: its models' inputs, labels and loss, and its Tensor class. */
export interface TableTarget {
  models: Pick<SessionModels, 'inputs' | 'labels' | 'outputNames'> & { loss: { kind: string; output?: string } };
  runtime: { Tensor: TensorConstructor };
}

export interface TableDatasetOptions {
  /** The column that holds the labels (default 'label'); every other column is a feature, in file order. */
  labelColumn?: string;
  /** Every feature is multiplied by this (default 1), e.g. 1/16 for pixels of 0..16. */
  featureScale?: number;
  /** The model input the features feed; needed when the model has several. */
  inputName?: string;
  /** What errors call the model (default 'model'). */
  modelSource?: string;
}

/**
 * A table's rows as a dataset for a session: the features of a row fill one example of the model input (all
 * of its dimensions after the batch one) and the label column gives the loss's labels (class indices for
 * cross-entropy, one value per row for the other losses).
 */
export class TableDataset implements Dataset {
  readonly length: number;
  /** rowCount * featureColumns.length values, row-major, scaled. */
  readonly features: Float32Array;
  readonly labels: Float64Array;

  /** Use `tableDataset`, which checks that the table fits the session. */
  constructor(
    table: NumericTable, labelIndex: number, featureScale: number,
    readonly featureColumns: string[], readonly labelColumn: string,
    /** The input the features feed, and one example's shape. */
    readonly input: { name: string; shape: number[] },
    /** The labels' element type and one example's label shape ([] for class indices). */
    readonly label: { dtype: 'int64' | 'float32'; shape: number[] },
    private readonly Tensor: TensorConstructor,
  ) {
    const width = table.columns.length;
    this.length = table.rowCount;
    this.features = new Float32Array(table.rowCount * (width - 1));
    this.labels = new Float64Array(table.rowCount);
    for (let r = 0; r < table.rowCount; r++) {
      let f = r * (width - 1);
      for (let c = 0; c < width; c++) {
        const v = table.values[r * width + c];
        if (c === labelIndex) this.labels[r] = v;
        else this.features[f++] = v * featureScale;
      }
    }
  }

  batch(indices: Uint32Array): Batch {
    const n = indices.length;
    const width = this.featureColumns.length;
    const features = new Float32Array(n * width);
    const labels = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const row = indices[i];
      if (!(row < this.length)) throw new RangeError(`dataset: row index ${row} is out of range (the table holds ${this.length})`);
      features.set(this.features.subarray(row * width, (row + 1) * width), i * width);
      labels[i] = this.labels[row];
    }
    const T = this.Tensor;
    const inputs: Record<string, Tensor> = { [this.input.name]: new T('float32', features, [n, ...this.input.shape]) };
    if (this.label.dtype === 'int64') return { inputs, labels: new T('int64', BigInt64Array.from(labels, (v) => BigInt(v)), [n]) };
    return { inputs, labels: new T('float32', Float32Array.from(labels), [n, ...this.label.shape]) };
  }
}

function formatShape(shape: TensorSpec['shape']): string {
  return shape ? `[${shape.map((d) => (d === undefined ? '?' : String(d))).join(', ')}]` : '(unknown shape)';
}

function pickInput(inputs: TensorSpec[], inputName: string | undefined, modelSource: string): TensorSpec {
  const names = inputs.map((i) => `'${i.name}'`).join(', ');
  if (inputName !== undefined) {
    const found = inputs.find((i) => i.name === inputName);
    if (!found) throw new DataError(`${modelSource}: no input named '${inputName}' (inputs: ${names || 'none'})`);
    return found;
  }
  if (inputs.length !== 1) {
    throw new DataError(`${modelSource}: the model has ${inputs.length} inputs (${names || 'none'}); name the one the data feeds (inputName)`);
  }
  return inputs[0];
}

/**
 * A dataset of a table's rows for a session, checked against its model: the feature columns must fill one
 * example of the input, and the labels must suit the loss (class indices in range for cross-entropy, in
 * [0, 1] for bce_with_logits, one value per row otherwise). Errors name the table, the line and the column.
 */
export function tableDataset(table: NumericTable, session: TableTarget, options: TableDatasetOptions = {}): TableDataset {
  const source = table.source;
  const modelSource = options.modelSource ?? 'model';
  const labelColumn = options.labelColumn ?? 'label';
  const featureScale = options.featureScale ?? 1;
  if (typeof featureScale !== 'number' || !Number.isFinite(featureScale)) throw new RangeError(`featureScale: expected a finite number, got ${String(featureScale)}`);
  const labelIndex = table.columns.indexOf(labelColumn);
  if (labelIndex < 0) {
    const names = table.columns.length <= 12 ? table.columns.join(', ') : `${table.columns.slice(0, 10).join(', ')}, ... (${table.columns.length} in all)`;
    throw new DataError(`${source}: no label column '${labelColumn}' (columns: ${names})`);
  }
  if (table.columns.length < 2) throw new DataError(`${source}: no feature columns besides the label column '${labelColumn}'`);
  const featureColumns = table.columns.filter((_, i) => i !== labelIndex);

  const { models } = session;
  const input = pickInput(models.inputs, options.inputName, modelSource);
  if (input.dtype !== 'float32') throw new DataError(`${modelSource}: input '${input.name}' is ${input.dtype}; table features can feed float32 inputs only`);
  const rest = input.shape?.slice(1);
  if (!input.shape || input.shape.length < 2 || !rest!.every((d) => typeof d === 'number' && d > 0)) {
    throw new DataError(`${modelSource}: input '${input.name}' has shape ${formatShape(input.shape)}; it needs a batch dimension first and fixed sizes after it to take table rows`);
  }
  const sampleShape = rest as number[];
  const perRow = sampleShape.reduce((a, b) => a * b, 1);
  if (perRow !== featureColumns.length) {
    throw new DataError(`${source} has ${featureColumns.length} feature columns (every column but '${labelColumn}'), ` +
      `but input '${input.name}' of ${modelSource} takes ${perRow} values per row (shape ${formatShape(input.shape)})`);
  }

  const kind = models.loss.kind;
  const output = models.loss.output ?? models.outputNames[0];
  const labels: LabelCheck = models.labels;
  const labelAt = (r: number) => table.values[r * table.columns.length + labelIndex];
  const where = (r: number) => `data row ${r + 1} (line ${r + table.firstLine})`;
  let label: { dtype: 'int64' | 'float32'; shape: number[] };
  if (kind === 'cross_entropy') {
    if (!labels.shape || labels.shape.length !== 1) {
      throw new DataError(`${modelSource}: cross_entropy on one label column needs an output of shape [batch, classes]; its labels would have shape ${formatShape(labels.shape)}`);
    }
    const classes = labels.classes;
    for (let r = 0; r < table.rowCount; r++) {
      const v = labelAt(r);
      if (v === labels.ignoreIndex) continue;
      if (!Number.isInteger(v) || v < 0 || (classes !== undefined && v >= classes)) {
        const range = classes !== undefined ? `0..${classes - 1}` : 'a non-negative integer';
        throw new DataError(`${source}: label ${v} in ${where(r)} is not a class index ${range} for output '${output}'`);
      }
    }
    label = { dtype: 'int64', shape: [] };
  } else {
    const outRest = labels.shape?.slice(1);
    if (!labels.shape || labels.shape.length < 1 || !outRest!.every((d) => d === 1)) {
      throw new DataError(`${modelSource}: ${kind} on one label column needs one value per row; output '${output}' has shape ${formatShape(labels.shape)}`);
    }
    if (labels.dtype !== 'float32') throw new DataError(`${modelSource}: the loss takes ${labels.dtype} labels; table labels can be float32 only`);
    if (kind === 'bce_with_logits') {
      for (let r = 0; r < table.rowCount; r++) {
        const v = labelAt(r);
        if (v < 0 || v > 1) throw new DataError(`${source}: label ${v} in ${where(r)} is outside [0, 1], as bce_with_logits needs`);
      }
    }
    label = { dtype: 'float32', shape: outRest as number[] };
  }
  return new TableDataset(table, labelIndex, featureScale, featureColumns, labelColumn, { name: input.name, shape: sampleShape }, label, session.runtime.Tensor);
}
