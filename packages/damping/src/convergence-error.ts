/** Thrown, as adadamp's ConvergenceError, when a damper sees the model diverge; the damper is left as it was. */
export class ConvergenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConvergenceError';
  }
}
