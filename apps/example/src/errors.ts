/**
 * A problem with what the user gave us (an option, a file, data that does not fit the model), as opposed to
 * a bug or a runtime failure. The CLI prints its message alone and exits with code 2.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
