import { SGD } from '@ortrain/optimizers';
import { Tensor } from 'onnxruntime-node';
import { DataError, TrainingSession, batchesOf, parseCsv, splitRows, subset, tableDataset, type TableTarget } from '../../src';
import { RandomStream, createRandom, shuffle } from '../../src/random';
import { modelBytes } from '../session/helpers';

/** CSV text with `width` feature columns and the given labels. */
function csv(width: number, labels: number[]): string {
  const header = [...Array.from({ length: width }, (_, i) => `f${i}`), 'label'].join(',');
  const rows = labels.map((l, r) => [...Array.from({ length: width }, (_, c) => r + c / 10), l].join(','));
  return [header, ...rows].join('\n');
}
const table = (width: number, labels: number[], source = 'data') => parseCsv(csv(width, labels), { source });

/** A stand-in for a session's models, for input and output forms no fixture has. */
function target(input: (string | number | undefined)[] | undefined, labels: { shape?: (string | number)[]; dtype?: 'float32' | 'int64'; classes?: number },
  kind = 'cross_entropy', inputDtype: 'float32' | 'int64' = 'float32'): TableTarget {
  return {
    models: {
      inputs: [{ name: 'x', dtype: inputDtype, shape: input }],
      labels: { name: 'labels', dtype: labels.dtype ?? (kind === 'cross_entropy' ? 'int64' : 'float32'), shape: labels.shape, classes: labels.classes, ignoreIndex: kind === 'cross_entropy' ? -100 : undefined },
      outputNames: ['y'],
      loss: { kind },
    },
    runtime: { Tensor },
  };
}

let mlp: TrainingSession;
let lenet: TrainingSession;
beforeAll(async () => {
  const optimizer = (ps: ConstructorParameters<typeof SGD>[0]) => new SGD(ps, { lr: 0.1 });
  mlp = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer });
  lenet = await TrainingSession.create({ model: modelBytes('lenet'), loss: 'cross_entropy', optimizer });
});
afterAll(async () => {
  await mlp.release();
  await lenet.release();
});

describe('tableDataset: the columns', () => {
  const t = () => parseCsv('a,label,b\n1,0,2\n3,1,4\n5,2,6\n');
  const two = target(['batch', 2], { shape: ['batch'], classes: 3 });

  test('takes every column but the label as features, in file order, scaled', () => {
    const d = tableDataset(t(), two, { labelColumn: 'label', featureScale: 0.5 });
    expect(d.featureColumns).toEqual(['a', 'b']);
    expect(Array.from(d.features)).toEqual([0.5, 1, 1.5, 2, 2.5, 3]);
    expect(Array.from(d.labels)).toEqual([0, 1, 2]);
    expect(d.length).toBe(3);
  });

  test('names a missing label column and lists the columns', () => {
    expect(() => tableDataset(parseCsv('a,label,b\n1,0,2\n', { source: 'x.csv' }), two, { labelColumn: 'target' }))
      .toThrow(new DataError("x.csv: no label column 'target' (columns: a, label, b)"));
  });

  test('rejects a table with nothing but the label', () => {
    expect(() => tableDataset(parseCsv('label\n1\n'), two)).toThrow("no feature columns besides the label column 'label'");
  });

  test('without a header the label column is named by its position', () => {
    const d = tableDataset(parseCsv('1,2,0\n3,4,1\n', { header: false }), two, { labelColumn: '3' });
    expect(Array.from(d.labels)).toEqual([0, 1]);
  });
});

describe('tableDataset: fitting the session', () => {
  test('digits rows fit the MLP for cross-entropy with 10 classes', () => {
    const d = tableDataset(table(64, [0, 9, 3]), mlp);
    expect(d.input).toEqual({ name: 'input', shape: [64] });
    expect(d.label).toEqual({ dtype: 'int64', shape: [] });
  });

  test('a column count that does not fit the input width is named with both counts', () => {
    expect(() => tableDataset(table(63, [1], 'd.csv'), mlp, { modelSource: 'm.onnx' })).toThrow(
      new DataError("d.csv has 63 feature columns (every column but 'label'), but input 'input' of m.onnx takes 64 values per row (shape [batch, 64])"),
    );
  });

  test('rows fill every dimension after the batch one (LeNet takes 1x28x28 = 784 values)', () => {
    const d = tableDataset(table(784, [3, 4]), lenet);
    expect(d.input.shape).toEqual([1, 28, 28]);
    const batch = d.batch(Uint32Array.from([1, 0]));
    expect(batch.inputs.input.dims).toEqual([2, 1, 28, 28]);
    expect(() => tableDataset(table(64, [3]), lenet)).toThrow('takes 784 values per row (shape [batch, 1, 28, 28])');
  });

  test('class labels must be integer indices below the class count', () => {
    expect(() => tableDataset(table(64, [0, 10], 'd.csv'), mlp)).toThrow("d.csv: label 10 in data row 2 (line 3) is not a class index 0..9 for output 'logits'");
    expect(() => tableDataset(table(64, [1.5]), mlp)).toThrow('label 1.5 in data row 1');
    expect(() => tableDataset(table(64, [-1]), mlp)).toThrow('label -1 in data row 1');
    // Without a header, the first data row is line 1.
    expect(() => tableDataset(parseCsv('1,2,0\n3,4,7\n', { header: false }), target(['batch', 2], { shape: ['batch'], classes: 3 }), { labelColumn: '3' }))
      .toThrow('label 7 in data row 2 (line 2) is not a class index 0..2');
  });

  test('an input name must exist, and a model with several inputs needs one', () => {
    expect(() => tableDataset(table(64, [0]), mlp, { inputName: 'pixels', modelSource: 'm.onnx' })).toThrow("m.onnx: no input named 'pixels' (inputs: 'input')");
    const two = target(['batch', 64], { shape: ['batch'], classes: 10 });
    two.models.inputs = [{ name: 'input', dtype: 'float32', shape: ['batch', 64] }, { name: 'mask', dtype: 'float32', shape: ['batch', 64] }];
    expect(() => tableDataset(table(64, [0]), two)).toThrow("2 inputs ('input', 'mask'); name the one the data feeds (inputName)");
    expect(tableDataset(table(64, [0]), two, { inputName: 'mask' }).input.name).toBe('mask');
  });

  test('inputs that table rows cannot feed are refused with their dtype or shape', () => {
    expect(() => tableDataset(table(4, [0]), target(['batch', 4], { shape: ['batch'] }, 'cross_entropy', 'int64'))).toThrow(
      "input 'x' is int64; table features can feed float32 inputs only",
    );
    expect(() => tableDataset(table(4, [0]), target(['batch', 'seq'], { shape: ['batch'] }))).toThrow(
      "input 'x' has shape [batch, seq]; it needs a batch dimension first and fixed sizes after it",
    );
    expect(() => tableDataset(table(4, [0]), target(undefined, { shape: ['batch'] }))).toThrow('(unknown shape)');
  });

  test('regression losses take one value per row, labels shaped like the output', () => {
    const mse = target(['batch', 3], { shape: ['batch', 1] }, 'mse');
    const d = tableDataset(table(3, [0.5, -2]), mse);
    expect(d.label.shape).toEqual([1]);
    const batch = d.batch(Uint32Array.from([1, 0]));
    expect(batch.labels.type).toBe('float32');
    expect(batch.labels.dims).toEqual([2, 1]);
    expect(Array.from(batch.labels.data as Float32Array)).toEqual([-2, 0.5]);
    expect(() => tableDataset(table(3, [0.5]), target(['batch', 3], { shape: ['batch', 10] }, 'l1'))).toThrow(
      "l1 on one label column needs one value per row; output 'y' has shape [batch, 10]",
    );
    expect(() => tableDataset(table(3, [2]), target(['batch', 3], { shape: ['batch', 1] }, 'bce_with_logits'))).toThrow(
      'label 2 in data row 1 (line 2) is outside [0, 1]',
    );
  });

  test('a cross-entropy batch holds int64 class indices and the features of the rows asked for', () => {
    const d = tableDataset(table(64, [7, 2, 5]), mlp);
    const batch = d.batch(Uint32Array.from([2, 0]));
    expect(batch.labels.type).toBe('int64');
    expect(Array.from(batch.labels.data as BigInt64Array)).toEqual([5n, 7n]);
    const x = batch.inputs.input;
    expect(x.dims).toEqual([2, 64]);
    expect((x.data as Float32Array)[0]).toBe(2);
    expect((x.data as Float32Array)[64 + 1]).toBeCloseTo(0.1);
  });
});

describe('splitRows, batchesOf and subset', () => {
  test('splitRows is a seeded partition of all rows with the asked share held out', () => {
    const s = splitRows(100, 0.2, 7);
    expect(s.val.length).toBe(20);
    expect(s.train.length).toBe(80);
    expect([...s.val, ...s.train].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(splitRows(100, 0.2, 7)).toEqual(s);
    expect(Array.from(splitRows(100, 0.2, 8).val)).not.toEqual(Array.from(s.val));
  });

  test('holds out at least one row for a positive share, none for zero', () => {
    expect(splitRows(3, 0.01, 0).val.length).toBe(1);
    expect(splitRows(3, 0, 0).val.length).toBe(0);
    expect(splitRows(3, 0, 0).train.length).toBe(3);
  });

  test('rejects a share outside [0, 1) and a split that leaves nothing to train on', () => {
    expect(() => splitRows(10, 1, 0)).toThrow(RangeError);
    expect(() => splitRows(10, -0.1, 0)).toThrow('valFraction: expected a number in [0, 1), got -0.1');
    expect(() => splitRows(1, 0.5, 0)).toThrow('leaves no training rows out of 1');
  });

  test('batchesOf cuts consecutive batches, the last one shorter', () => {
    const b = batchesOf(Uint32Array.from([5, 4, 3, 2, 1]), 2);
    expect(b.map((x) => Array.from(x))).toEqual([[5, 4], [3, 2], [1]]);
    expect(() => batchesOf(new Uint32Array(3), 0)).toThrow('batchSize: expected a positive integer, got 0');
  });

  test('a subset gathers the rows it holds, in its order', () => {
    const d = tableDataset(parseCsv('a,b,label\n1,2,0\n3,4,1\n5,6,2\n'), target(['batch', 2], { shape: ['batch'], classes: 3 }));
    const s = subset(d, Uint32Array.from([2, 0]));
    expect(s.length).toBe(2);
    const b = s.batch(Uint32Array.from([0, 1])) as ReturnType<typeof d.batch>;
    expect(Array.from(b.inputs.x.data as Float32Array)).toEqual([5, 6, 1, 2]);
    expect(Array.from(b.labels.data as BigInt64Array)).toEqual([2n, 0n]);
    expect(() => subset(d, Uint32Array.from([3]))).toThrow('subset: index 3 is out of range');
  });

  test('the random stream is seeded, its state continues it, and the shuffle is a permutation', () => {
    const a = createRandom(3);
    const b = createRandom(3);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const p = shuffle(Uint32Array.from({ length: 50 }, (_, i) => i), createRandom(1));
    expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(p)).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    const s1 = new RandomStream(9);
    s1.next();
    const saved = s1.state;
    const following = [s1.next(), s1.next()];
    const s2 = new RandomStream(0);
    s2.state = saved;
    expect([s2.next(), s2.next()]).toEqual(following);
    expect(() => { s2.state = -1; }).toThrow('random state: expected an integer in [0, 2^32), got -1');
  });
});
