import { readFileSync } from 'node:fs';
import { InputError } from './errors';

/** A numeric CSV file: a header row of column names, then rows of numbers, stored row-major. */
export interface NumericTable {
  columns: string[];
  rowCount: number;
  /** rowCount * columns.length values, row after row. */
  values: Float64Array;
}

/** Cells may be wrapped in double quotes (as spreadsheets write them); numeric data needs nothing more. */
function cell(text: string): string {
  const t = text.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).trim() : t;
}

/**
 * Parses CSV text whose first line names the columns and whose other lines hold only numbers. Errors name
 * the source, the line (1-based, the header is line 1) and the column.
 */
export function parseNumericCsv(text: string, source = 'data'): NumericTable {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0 || lines[0].trim() === '') throw new InputError(`${source}: empty file, expected a header row of column names`);
  const columns = lines[0].split(',').map(cell);
  columns.forEach((name, i) => {
    if (name === '') throw new InputError(`${source}: column ${i + 1} of the header has no name`);
  });
  const seen = new Set<string>();
  for (const name of columns) {
    if (seen.has(name)) throw new InputError(`${source}: column '${name}' appears twice in the header`);
    seen.add(name);
  }
  const width = columns.length;
  const values = new Float64Array((lines.length - 1) * width);
  let rowCount = 0;
  for (let l = 1; l < lines.length; l++) {
    if (lines[l].trim() === '') throw new InputError(`${source}: line ${l + 1} is empty`);
    const cells = lines[l].split(',');
    if (cells.length !== width) {
      throw new InputError(`${source}: line ${l + 1} has ${cells.length} cells, the header has ${width} columns`);
    }
    for (let c = 0; c < width; c++) {
      const raw = cell(cells[c]);
      const v = raw === '' ? NaN : Number(raw);
      if (!Number.isFinite(v)) {
        throw new InputError(`${source}: line ${l + 1}, column '${columns[c]}': '${raw}' is not a finite number`);
      }
      values[rowCount * width + c] = v;
    }
    rowCount++;
  }
  if (rowCount === 0) throw new InputError(`${source}: no data rows after the header`);
  return { columns, rowCount, values };
}

/** Reads and parses a numeric CSV file. */
export function readNumericCsv(path: string): NumericTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`data file not found: ${path}`);
    throw new InputError(`cannot read data file ${path}: ${(err as Error).message}`);
  }
  return parseNumericCsv(text, path);
}
