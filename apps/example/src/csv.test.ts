import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNumericCsv, readNumericCsv } from './csv';
import { InputError } from './errors';

describe('parseNumericCsv', () => {
  test('reads the header and the rows, row-major, tolerating CRLF, quotes, spaces and trailing blank lines', () => {
    const t = parseNumericCsv('a,"b", c\r\n1,2.5,-3\r\n 4 ,"5",6e-1\r\n\r\n');
    expect(t.columns).toEqual(['a', 'b', 'c']);
    expect(t.rowCount).toBe(2);
    expect(Array.from(t.values)).toEqual([1, 2.5, -3, 4, 5, 0.6]);
  });

  test('names the line and the column of a non-numeric cell', () => {
    expect(() => parseNumericCsv('x,label\n1,2\n3,cat\n', 'train.csv')).toThrow(
      new InputError("train.csv: line 3, column 'label': 'cat' is not a finite number"),
    );
  });

  test('rejects empty cells, NaN and Infinity as not finite', () => {
    expect(() => parseNumericCsv('x,y\n1,\n')).toThrow("line 2, column 'y': '' is not a finite number");
    expect(() => parseNumericCsv('x,y\nNaN,1\n')).toThrow("column 'x': 'NaN'");
    expect(() => parseNumericCsv('x,y\n1,Infinity\n')).toThrow("column 'y': 'Infinity'");
  });

  test('names a row whose cell count differs from the header', () => {
    expect(() => parseNumericCsv('a,b,c\n1,2,3\n1,2\n', 'd.csv')).toThrow('d.csv: line 3 has 2 cells, the header has 3 columns');
  });

  test('rejects an empty file, a header without rows, a blank line inside, unnamed and repeated columns', () => {
    expect(() => parseNumericCsv('', 'e.csv')).toThrow('e.csv: empty file');
    expect(() => parseNumericCsv('a,b\n', 'h.csv')).toThrow('h.csv: no data rows after the header');
    expect(() => parseNumericCsv('a,b\n1,2\n\n3,4\n')).toThrow('line 3 is empty');
    expect(() => parseNumericCsv('a,,b\n1,2,3\n')).toThrow('column 2 of the header has no name');
    expect(() => parseNumericCsv('a,b,a\n1,2,3\n')).toThrow("column 'a' appears twice");
  });

  test('errors are InputErrors', () => {
    expect(() => parseNumericCsv('')).toThrow(InputError);
  });
});

describe('readNumericCsv', () => {
  test('reads a file, and names a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ortrain-csv-'));
    const path = join(dir, 'd.csv');
    writeFileSync(path, 'a,label\n0.5,1\n');
    expect(readNumericCsv(path).values).toEqual(new Float64Array([0.5, 1]));
    expect(() => readNumericCsv(join(dir, 'missing.csv'))).toThrow(`data file not found: ${join(dir, 'missing.csv')}`);
  });

  test('reads the shipped digits data: 1797 rows of 64 pixels and a label', () => {
    const t = readNumericCsv(join(__dirname, '..', 'data', 'digits.csv'));
    expect(t.rowCount).toBe(1797);
    expect(t.columns.length).toBe(65);
    expect(t.columns[64]).toBe('label');
    let max = 0;
    for (let r = 0; r < t.rowCount; r++) for (let c = 0; c < 64; c++) max = Math.max(max, t.values[r * 65 + c]);
    expect(max).toBe(16);
  });
});
