import Papa from 'papaparse';
import { nodeFs } from '../checkpoint/node-modules';
import { DataError } from './errors';

/** A numeric table read from CSV: column names, then rows of numbers stored row-major. */
export interface NumericTable {
  /** The header's names, or without a header each column's 1-based position ('1', '2', ...). */
  columns: string[];
  rowCount: number;
  /** rowCount * columns.length values, row after row. */
  values: Float64Array;
  /** The file line of the first data row (2 after a header), for messages that name a row's line. */
  firstLine: number;
  /** The file (or 'data') that errors name. */
  source: string;
}

export interface CsvOptions {
  /** The cell separator (default ','); any string papaparse accepts, e.g. ';', '\t', '|'. */
  delimiter?: string;
  /** Whether the first line names the columns (default true). */
  header?: boolean;
  /** Bytes read at a time when streaming a file (default 1 MiB): the text is never held whole. */
  chunkSize?: number;
  /** What errors call the data (default the file path, or 'data'). */
  source?: string;
}

/**
 * Builds a table from parsed records, one at a time, so that a file streams through in chunks. Errors name
 * the source, the line (1-based, counting a header) and the column. Line numbers count records: they are
 * the file's lines unless a quoted cell spans several.
 */
class TableBuilder {
  private columns: string[] | undefined;
  private values = new Float64Array(1024);
  private rowCount = 0;
  private line = 0;
  /** The first of the empty lines seen since the last row: an error if a row follows, ignored at the end. */
  private emptyLine: number | undefined;

  constructor(private readonly source: string, private readonly header: boolean) {}

  add(cells: string[]): void {
    this.line++;
    if (cells.every((c) => c.trim() === '')) {
      if (cells.length <= 1) {
        this.emptyLine ??= this.line;
        return;
      }
    }
    if (this.emptyLine !== undefined) throw new DataError(`${this.source}: line ${this.emptyLine} is empty`);
    if (!this.columns) {
      if (this.header) return this.readHeader(cells);
      this.columns = cells.map((_, i) => String(i + 1));
    }
    const width = this.columns.length;
    if (cells.length !== width) {
      const against = this.header ? `the header has ${width} columns` : `the first line has ${width}`;
      throw new DataError(`${this.source}: line ${this.line} has ${cells.length} cells, ${against}`);
    }
    if ((this.rowCount + 1) * width > this.values.length) {
      const grown = new Float64Array(Math.max(this.values.length * 2, (this.rowCount + 1) * width));
      grown.set(this.values);
      this.values = grown;
    }
    const at = this.rowCount * width;
    for (let c = 0; c < width; c++) {
      const raw = cells[c].trim();
      const v = raw === '' ? NaN : Number(raw);
      if (!Number.isFinite(v)) {
        throw new DataError(`${this.source}: line ${this.line}, column '${this.columns[c]}': '${raw}' is not a finite number`);
      }
      this.values[at + c] = v;
    }
    this.rowCount++;
  }

  private readHeader(cells: string[]): void {
    const columns = cells.map((c) => c.trim());
    columns.forEach((name, i) => {
      if (name === '') throw new DataError(`${this.source}: column ${i + 1} of the header has no name`);
    });
    const seen = new Set<string>();
    for (const name of columns) {
      if (seen.has(name)) throw new DataError(`${this.source}: column '${name}' appears twice in the header`);
      seen.add(name);
    }
    this.columns = columns;
  }

  finish(): NumericTable {
    if (!this.columns) throw new DataError(`${this.source}: empty file${this.header ? ', expected a header row of column names' : ''}`);
    if (this.rowCount === 0) throw new DataError(`${this.source}: no data rows${this.header ? ' after the header' : ''}`);
    const width = this.columns.length;
    return {
      columns: this.columns,
      rowCount: this.rowCount,
      values: this.values.slice(0, this.rowCount * width),
      firstLine: this.header ? 2 : 1,
      source: this.source,
    };
  }

  /** A papaparse error (an unclosed quote, ...), naming the line. */
  parseError(e: Papa.ParseError): DataError {
    return new DataError(`${this.source}: line ${this.line + 1}: ${e.message}`);
  }
}

function checkOptions(o: CsvOptions): { delimiter: string; header: boolean; chunkSize: number } {
  const delimiter = o.delimiter ?? ',';
  if (typeof delimiter !== 'string' || delimiter === '' || /["\r\n]/.test(delimiter)) {
    throw new RangeError(`delimiter: expected a non-empty string without quotes or line breaks, got ${JSON.stringify(delimiter)}`);
  }
  const header = o.header ?? true;
  if (typeof header !== 'boolean') throw new RangeError(`header: expected true or false, got ${JSON.stringify(header)}`);
  const chunkSize = o.chunkSize ?? 1 << 20;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize: expected a positive integer, got ${String(chunkSize)}`);
  return { delimiter, header, chunkSize };
}

/** Parses CSV text whose cells are numbers (after a header row of column names, unless `header: false`). */
export function parseCsv(text: string, options: CsvOptions = {}): NumericTable {
  const o = checkOptions(options);
  const builder = new TableBuilder(options.source ?? 'data', o.header);
  const parsed = Papa.parse<string[]>(text, { delimiter: o.delimiter, skipEmptyLines: false });
  // papaparse reports problems by row; the first one stops us, after the rows before it were checked.
  const firstError = parsed.errors.length ? parsed.errors[0] : undefined;
  parsed.data.forEach((row, i) => {
    if (firstError && firstError.row !== undefined && i >= firstError.row) throw builder.parseError(firstError);
    builder.add(row);
  });
  if (firstError) throw builder.parseError(firstError);
  return builder.finish();
}

/**
 * Reads a numeric CSV file (a path in Node, a File or Blob in a browser), streaming it in chunks of
 * `chunkSize` bytes through papaparse: quoted cells may hold the delimiter, and the text is never held whole.
 */
export async function readCsv(file: string | Blob, options: CsvOptions = {}): Promise<NumericTable> {
  const o = checkOptions(options);
  const source = options.source ?? (typeof file === 'string' ? file : 'data');
  let input: NodeJS.ReadableStream | Blob;
  if (typeof file === 'string') {
    const fs = nodeFs(`reading '${file}'`);
    try {
      const stat = await fs.promises.stat(file);
      if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new DataError(`data file not found: ${file}`, { cause: err });
      throw new DataError(`cannot read data file ${file}: ${(err as Error).message}`, { cause: err });
    }
    input = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: o.chunkSize });
  } else if (typeof Blob !== 'undefined' && file instanceof Blob) {
    // Browsers stream a Blob through FileReader; Node has Blobs but no FileReader, so there it is read whole.
    if (typeof FileReader === 'undefined') return parseCsv(await file.text(), { ...options, source });
    input = file;
  } else {
    throw new TypeError(`readCsv: expected a file path or a Blob, got ${file === null ? 'null' : typeof file}`);
  }
  const builder = new TableBuilder(source, o.header);
  return new Promise<NumericTable>((resolve, reject) => {
    let failure: unknown;
    const stop = (e: unknown, parser?: Papa.Parser) => {
      failure ??= e;
      parser?.abort();
      if (!(input instanceof Blob)) (input as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    };
    Papa.parse<string[]>(input as File | NodeJS.ReadableStream, {
      delimiter: o.delimiter,
      skipEmptyLines: false,
      chunkSize: o.chunkSize,
      chunk(results, parser) {
        if (failure) return;
        try {
          const firstError = results.errors[0];
          results.data.forEach((row, i) => {
            if (firstError && firstError.row !== undefined && i >= firstError.row) throw builder.parseError(firstError);
            builder.add(row);
          });
          if (firstError) throw builder.parseError(firstError);
        } catch (e) {
          stop(e, parser);
        }
      },
      complete() {
        if (failure) return reject(failure);
        try {
          resolve(builder.finish());
        } catch (e) {
          reject(e);
        }
      },
      error(err: Error) {
        reject(failure ?? new DataError(`cannot read data file ${source}: ${err.message}`, { cause: err }));
      },
    });
  });
}
