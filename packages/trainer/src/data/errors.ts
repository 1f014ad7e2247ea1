/**
 * A problem with the data given to a dataset helper (a missing file, a cell that is not a number, columns
 * that do not fit the model): the message names the file, the line and the column. Command lines report it
 * as the user's mistake rather than a failure of the program.
 */
export class DataError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataError';
  }
}
