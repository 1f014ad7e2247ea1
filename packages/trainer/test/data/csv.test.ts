import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { DataError, parseCsv, readCsv } from '../../src/data';

const DIGITS = join(__dirname, '../../../../apps/example/data/digits.csv');

describe('parseCsv', () => {
  test('reads the header and the rows, row-major, tolerating CRLF, quotes, spaces and trailing blank lines', () => {
    const t = parseCsv('a,"b", c\r\n1,2.5,-3\r\n 4 ,"5",6e-1\r\n\r\n');
    expect(t.columns).toEqual(['a', 'b', 'c']);
    expect(t.rowCount).toBe(2);
    expect(Array.from(t.values)).toEqual([1, 2.5, -3, 4, 5, 0.6]);
    expect(t.firstLine).toBe(2);
  });

  test('names the line and the column of a non-numeric cell', () => {
    expect(() => parseCsv('x,label\n1,2\n3,cat\n', { source: 'train.csv' })).toThrow(
      new DataError("train.csv: line 3, column 'label': 'cat' is not a finite number"),
    );
  });

  test('rejects empty cells, NaN and Infinity as not finite', () => {
    expect(() => parseCsv('x,y\n1,\n')).toThrow("line 2, column 'y': '' is not a finite number");
    expect(() => parseCsv('x,y\nNaN,1\n')).toThrow("column 'x': 'NaN'");
    expect(() => parseCsv('x,y\n1,Infinity\n')).toThrow("column 'y': 'Infinity'");
  });

  test('names a row whose cell count differs from the header', () => {
    expect(() => parseCsv('a,b,c\n1,2,3\n1,2\n', { source: 'd.csv' })).toThrow('d.csv: line 3 has 2 cells, the header has 3 columns');
  });

  test('rejects an empty file, a header without rows, a blank line inside, unnamed and repeated columns', () => {
    expect(() => parseCsv('', { source: 'e.csv' })).toThrow('e.csv: empty file');
    expect(() => parseCsv('a,b\n', { source: 'h.csv' })).toThrow('h.csv: no data rows after the header');
    expect(() => parseCsv('a,b\n1,2\n\n3,4\n')).toThrow('line 3 is empty');
    expect(() => parseCsv('a,,b\n1,2,3\n')).toThrow('column 2 of the header has no name');
    expect(() => parseCsv('a,b,a\n1,2,3\n')).toThrow("column 'a' appears twice");
  });

  test('errors are DataErrors', () => {
    expect(() => parseCsv('')).toThrow(DataError);
  });

  test('quoted fields may hold the delimiter: a quoted header name with a comma, a quoted number', () => {
    const t = parseCsv('"width, cm",label\n"1.5",0\n2,"1"\n');
    expect(t.columns).toEqual(['width, cm', 'label']);
    expect(Array.from(t.values)).toEqual([1.5, 0, 2, 1]);
    // A quoted cell holding a comma is one cell, and not a number.
    expect(() => parseCsv('a,b\n"1,5",2\n')).toThrow("line 2, column 'a': '1,5' is not a finite number");
  });

  test('other delimiters: semicolons (with decimal points untouched), tabs, pipes', () => {
    expect(Array.from(parseCsv('a;b\n1.5;2\n', { delimiter: ';' }).values)).toEqual([1.5, 2]);
    expect(Array.from(parseCsv('a\tb\n3\t4\n', { delimiter: '\t' }).values)).toEqual([3, 4]);
    expect(parseCsv('a|b|c\n1|2|3\n', { delimiter: '|' }).columns).toEqual(['a', 'b', 'c']);
    expect(() => parseCsv('a,b\n1,2\n', { delimiter: '' })).toThrow(RangeError);
    expect(() => parseCsv('a,b\n1,2\n', { delimiter: '"' })).toThrow('delimiter: expected a non-empty string without quotes or line breaks');
  });

  test('without a header the columns are named by position and the first line is data', () => {
    const t = parseCsv('1,2,0\n3,4,1\n', { header: false, source: 'n.csv' });
    expect(t.columns).toEqual(['1', '2', '3']);
    expect(t.rowCount).toBe(2);
    expect(t.firstLine).toBe(1);
    expect(() => parseCsv('1,2\n3,x\n', { header: false })).toThrow("line 2, column '2': 'x' is not a finite number");
    expect(() => parseCsv('1,2\n3\n', { header: false })).toThrow('line 2 has 1 cells, the first line has 2');
    expect(() => parseCsv('', { header: false, source: 'n.csv' })).toThrow(new DataError('n.csv: empty file'));
  });

  test('an unclosed quote is a parse error naming the line', () => {
    expect(() => parseCsv('a,b\n1,2\n3,"4\n', { source: 'q.csv' })).toThrow(/^q\.csv: line 3: /);
  });
});

describe('readCsv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ortrain-csv-'));

  test('reads a file, and names a missing one', async () => {
    const path = join(dir, 'd.csv');
    writeFileSync(path, 'a,label\n0.5,1\n');
    expect((await readCsv(path)).values).toEqual(new Float64Array([0.5, 1]));
    await expect(readCsv(join(dir, 'missing.csv'))).rejects.toThrow(new DataError(`data file not found: ${join(dir, 'missing.csv')}`));
    await expect(readCsv(dir)).rejects.toThrow(`cannot read data file ${dir}`);
  });

  test('streams a file in small chunks: the same table, and errors name the right line across chunks', async () => {
    const lines = ['x,"y, quoted",label'];
    for (let i = 0; i < 500; i++) lines.push(`${i},"${i / 4}",${i % 3}`);
    const path = join(dir, 'big.csv');
    writeFileSync(path, lines.join('\n') + '\n');
    const whole = parseCsv(lines.join('\n'));
    const streamed = await readCsv(path, { chunkSize: 37 });
    expect(streamed.columns).toEqual(['x', 'y, quoted', 'label']);
    expect(streamed.rowCount).toBe(500);
    expect(streamed.values).toEqual(whole.values);
    lines[400] = '399,oops,0';
    writeFileSync(path, lines.join('\n'));
    await expect(readCsv(path, { chunkSize: 37 })).rejects.toThrow(`${path}: line 401, column 'y, quoted': 'oops' is not a finite number`);
  });

  test('reads a Blob (as in a browser) with another delimiter', async () => {
    const t = await readCsv(new Blob(['a;label\n1;0\n2;1\n']), { delimiter: ';', source: 'upload.csv' });
    expect(Array.from(t.values)).toEqual([1, 0, 2, 1]);
    await expect(readCsv(new Blob(['a;label\n1;x\n']), { delimiter: ';', source: 'upload.csv' })).rejects.toThrow("upload.csv: line 2, column 'label'");
  });

  test('reads the shipped digits data: 1797 rows of 64 pixels and a label', async () => {
    const t = await readCsv(DIGITS);
    expect(t.rowCount).toBe(1797);
    expect(t.columns.length).toBe(65);
    expect(t.columns[64]).toBe('label');
    let max = 0;
    for (let r = 0; r < t.rowCount; r++) for (let c = 0; c < 64; c++) max = Math.max(max, t.values[r * 65 + c]);
    expect(max).toBe(16);
  });
});
