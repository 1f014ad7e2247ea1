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

/** Names for an error message, shortened when there are many. */
export function listNames(names: readonly string[]): string {
  if (names.length === 0) return 'none';
  return names.length <= 12 ? names.join(', ') : `${names.slice(0, 10).join(', ')}, ... (${names.length} in all)`;
}
