import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNumericCsv } from './csv';
import { fitDataToModel, makeBatch } from './data-fit';
import { toDataset, type Dataset } from './dataset';
import { InputError } from './errors';
import { describeModel, readModel, type ModelInfo } from './model-info';

const DIGITS_MLP = join(__dirname, '..', 'models', 'digits-mlp.onnx');
const LENET = join(__dirname, '..', '..', '..', 'fixtures', 'models', 'lenet.onnx');

/** A data set with `width` feature columns and the given labels. */
function dataset(width: number, labels: number[]): Dataset {
  const header = [...Array.from({ length: width }, (_, i) => `f${i}`), 'label'].join(',');
  const rows = labels.map((l, r) => [...Array.from({ length: width }, (_, c) => r + c / 10), l].join(','));
  return toDataset(parseNumericCsv([header, ...rows].join('\n')), 'label');
}

function info(input: ModelInfo['inputs'][0]['shape'], output: ModelInfo['outputs'][0]['shape'], inputDtype = 'float32'): ModelInfo {
  return { inputs: [{ name: 'x', dtype: inputDtype, shape: input }], outputs: [{ name: 'y', dtype: 'float32', shape: output }], floatInitializers: ['w'] };
}

describe('readModel', () => {
  test('lists the inputs to feed, the outputs and the float initializers of the digits MLP', () => {
    const m = readModel(DIGITS_MLP);
    expect(m.inputs).toEqual([{ name: 'input', dtype: 'float32', shape: ['batch', 64] }]);
    expect(m.outputs).toEqual([{ name: 'logits', dtype: 'float32', shape: ['batch', 10] }]);
    expect(m.floatInitializers).toEqual(['net.0.weight', 'net.0.bias', 'net.2.weight', 'net.2.bias']);
  });

  test('names a missing file and a file that is not a model', () => {
    expect(() => readModel('/nonexistent/m.onnx')).toThrow(new InputError('model file not found: /nonexistent/m.onnx'));
    expect(() => describeModel(new TextEncoder().encode('label,p0\n1,2\n'), 'data.csv')).toThrow(InputError);
    expect(() => describeModel(new TextEncoder().encode('label,p0\n1,2\n'), 'data.csv')).toThrow(/^data\.csv: not a valid ONNX model/);
  });

  test('a truncated model is refused, naming it', () => {
    const bytes = readFileSync(DIGITS_MLP);
    expect(() => describeModel(bytes.subarray(0, bytes.length >> 1), 'half.onnx')).toThrow(/^half\.onnx: not a valid ONNX model/);
  });
});

describe('fitDataToModel', () => {
  const mlp = readModel(DIGITS_MLP);

  test('digits rows fit the MLP for cross-entropy with 10 classes', () => {
    const fit = fitDataToModel(mlp, dataset(64, [0, 9, 3]), { loss: 'cross_entropy' });
    expect(fit).toMatchObject({ sampleShape: [64], classCount: 10, labelShape: [], loss: 'cross_entropy' });
    expect(fit.input.name).toBe('input');
    expect(fit.output.name).toBe('logits');
  });

  test('a column count that does not fit the input width is named with both counts', () => {
    expect(() => fitDataToModel(mlp, dataset(63, [1]), { loss: 'cross_entropy', modelSource: 'm.onnx', dataSource: 'd.csv' })).toThrow(
      new InputError("d.csv has 63 feature columns (every column but 'label'), but input 'input' of m.onnx takes 64 values per row (shape [batch, 64])"),
    );
  });

  test('rows fill every dimension after the batch one (LeNet takes 1x28x28 = 784 values)', () => {
    const lenet = readModel(LENET);
    const fit = fitDataToModel(lenet, dataset(784, [3, 4]), { loss: 'cross_entropy' });
    expect(fit.sampleShape).toEqual([1, 28, 28]);
    const batch = makeBatch(fit, dataset(784, [3, 4]), Uint32Array.from([1, 0]));
    expect(batch.inputs.input.dims).toEqual([2, 1, 28, 28]);
    expect(() => fitDataToModel(lenet, dataset(64, [3]), { loss: 'cross_entropy' })).toThrow('takes 784 values per row (shape [batch, 1, 28, 28])');
  });

  test('class labels must be integer indices below the class count', () => {
    expect(() => fitDataToModel(mlp, dataset(64, [0, 10]), { loss: 'cross_entropy', dataSource: 'd.csv' })).toThrow(
      "d.csv: label 10 in data row 2 (line 3) is not a class index 0..9 for output 'logits'",
    );
    expect(() => fitDataToModel(mlp, dataset(64, [1.5]), { loss: 'cross_entropy' })).toThrow('label 1.5 in data row 1');
    expect(() => fitDataToModel(mlp, dataset(64, [-1]), { loss: 'cross_entropy' })).toThrow('label -1 in data row 1');
  });

  test('an input name must exist, and a model with several inputs needs one', () => {
    expect(() => fitDataToModel(mlp, dataset(64, [0]), { loss: 'cross_entropy', inputName: 'pixels', modelSource: 'm.onnx' })).toThrow(
      "m.onnx: no input named 'pixels' (inputs: 'input')",
    );
    const two: ModelInfo = { ...mlp, inputs: [...mlp.inputs, { name: 'mask', dtype: 'float32', shape: ['batch', 64] }] };
    expect(() => fitDataToModel(two, dataset(64, [0]), { loss: 'cross_entropy' })).toThrow("2 inputs ('input', 'mask'); name the one the data feeds with --input-name");
    expect(fitDataToModel(two, dataset(64, [0]), { loss: 'cross_entropy', inputName: 'mask' }).input.name).toBe('mask');
  });

  test('inputs that CSV rows cannot feed are refused with their dtype or shape', () => {
    expect(() => fitDataToModel(info(['batch', 4], ['batch', 2], 'int64'), dataset(4, [0]), { loss: 'cross_entropy' })).toThrow(
      "input 'x' is int64; CSV features can feed float32 inputs only",
    );
    expect(() => fitDataToModel(info(['batch', 'seq'], ['batch', 2]), dataset(4, [0]), { loss: 'cross_entropy' })).toThrow(
      "input 'x' has shape [batch, seq]; it needs a batch dimension first and fixed sizes after it",
    );
    expect(() => fitDataToModel(info(null, ['batch', 2]), dataset(4, [0]), { loss: 'cross_entropy' })).toThrow('(unknown shape)');
  });

  test('regression losses take one value per row, labels shaped like the output', () => {
    const fit = fitDataToModel(info(['batch', 3], ['batch', 1]), dataset(3, [0.5, -2]), { loss: 'mse' });
    expect(fit.labelShape).toEqual([1]);
    const batch = makeBatch(fit, dataset(3, [0.5, -2]), Uint32Array.from([1, 0]));
    expect(batch.labels.type).toBe('float32');
    expect(batch.labels.dims).toEqual([2, 1]);
    expect(Array.from(batch.labels.data as Float32Array)).toEqual([-2, 0.5]);
    expect(() => fitDataToModel(mlp, dataset(64, [0.5]), { loss: 'l1' })).toThrow(
      "l1 on one label column needs one value per row; output 'logits' has shape [batch, 10]",
    );
    expect(() => fitDataToModel(info(['batch', 3], ['batch', 1]), dataset(3, [2]), { loss: 'bce_with_logits' })).toThrow(
      'label 2 in data row 1 (line 2) is outside [0, 1]',
    );
  });

  test('a cross-entropy batch holds int64 class indices and the features of the rows asked for', () => {
    const data = dataset(64, [7, 2, 5]);
    const fit = fitDataToModel(mlp, data, { loss: 'cross_entropy' });
    const batch = makeBatch(fit, data, Uint32Array.from([2, 0]));
    expect(batch.labels.type).toBe('int64');
    expect(Array.from(batch.labels.data as BigInt64Array)).toEqual([5n, 7n]);
    const x = batch.inputs.input;
    expect(x.dims).toEqual([2, 64]);
    expect((x.data as Float32Array)[0]).toBe(2);
    expect((x.data as Float32Array)[64 + 1]).toBeCloseTo(0.1);
  });
});
