import { parseNumericCsv } from './csv';
import { batchesOf, gatherRows, splitRows, toDataset } from './dataset';
import { createRandom, shuffle } from '@ortrain/trainer';

describe('toDataset', () => {
  const table = parseNumericCsv('a,label,b\n1,0,2\n3,1,4\n5,2,6\n');

  test('takes every column but the label as features, in file order, scaled', () => {
    const d = toDataset(table, 'label', 0.5);
    expect(d.featureColumns).toEqual(['a', 'b']);
    expect(Array.from(d.features)).toEqual([0.5, 1, 1.5, 2, 2.5, 3]);
    expect(Array.from(d.labels)).toEqual([0, 1, 2]);
  });

  test('names a missing label column and lists the columns', () => {
    expect(() => toDataset(table, 'target', 1, 'x.csv')).toThrow("x.csv: no label column 'target' (columns: a, label, b)");
  });

  test('rejects a table with nothing but the label', () => {
    expect(() => toDataset(parseNumericCsv('label\n1\n'), 'label')).toThrow("no feature columns besides the label column 'label'");
  });
});

describe('splitRows', () => {
  test('is a seeded partition of all rows with the asked share held out', () => {
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
});

describe('batchesOf and gatherRows', () => {
  test('cuts consecutive batches, the last one shorter', () => {
    const b = batchesOf(Uint32Array.from([5, 4, 3, 2, 1]), 2);
    expect(b.map((x) => Array.from(x))).toEqual([[5, 4], [3, 2], [1]]);
    expect(() => batchesOf(new Uint32Array(3), 0)).toThrow('batchSize: expected a positive integer, got 0');
  });

  test('gathers features and labels of the given rows in that order', () => {
    const d = toDataset(parseNumericCsv('a,b,label\n1,2,0\n3,4,1\n5,6,2\n'), 'label');
    const g = gatherRows(d, Uint32Array.from([2, 0]));
    expect(Array.from(g.features)).toEqual([5, 6, 1, 2]);
    expect(Array.from(g.labels)).toEqual([2, 0]);
  });
});

describe('random', () => {
  test('the stream is seeded and the shuffle is a permutation', () => {
    const a = createRandom(3);
    const b = createRandom(3);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const p = shuffle(Uint32Array.from({ length: 50 }, (_, i) => i), createRandom(1));
    expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(p)).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
