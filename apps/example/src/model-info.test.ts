import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from './errors';
import { describeModel, formatShape, readModel } from './model-info';

const DIGITS_MLP = join(__dirname, '..', 'models', 'digits-mlp.onnx');

describe('readModel', () => {
  test('lists the inputs to feed, the outputs and the float initializers of the digits MLP', () => {
    const m = readModel(DIGITS_MLP);
    expect(m.inputs).toEqual([{ name: 'input', dtype: 'float32', shape: ['batch', 64] }]);
    expect(m.outputs).toEqual([{ name: 'logits', dtype: 'float32', shape: ['batch', 10] }]);
    expect(m.floatInitializers).toEqual(['net.0.weight', 'net.0.bias', 'net.2.weight', 'net.2.bias']);
    expect(formatShape(m.inputs[0].shape)).toBe('[batch, 64]');
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
