/** What a divergence warning reports: the loss grew by `factor` or more within `window` steps. */
export interface Divergence {
  /** The step (1-based, as `session.step` after it) whose loss set off the warning. */
  step: number;
  loss: number;
  /** The smallest loss of the window before it, and its step. */
  from: number;
  fromStep: number;
  /** loss / from. */
  growth: number;
}

export interface DivergenceOptions {
  /** Steps the loss is compared over (default 50). */
  window?: number;
  /** Growth that counts as divergence (default 1000: three orders of magnitude). */
  factor?: number;
}

/**
 * Watches training losses for divergence (an lr too large): a loss `factor` times the smallest loss of the
 * last `window` steps. Losses near zero do not count as a base, so a loss that fell to 1e-9 and wobbles back
 * to 1e-6 is not reported: the base is at least 1e-4 of the first loss seen. After a report the window
 * starts again, so a run that keeps diverging is reported once per window, not at every step.
 */
export class DivergenceWatch {
  readonly window: number;
  readonly factor: number;
  private readonly recent: { step: number; loss: number }[] = [];
  private floor: number | undefined;

  constructor(options: DivergenceOptions = {}) {
    const window = options.window ?? 50;
    const factor = options.factor ?? 1000;
    if (!Number.isInteger(window) || window < 2) throw new RangeError(`divergence.window: must be an integer >= 2, got ${String(window)}`);
    if (typeof factor !== 'number' || !(factor > 1) || !Number.isFinite(factor)) throw new RangeError(`divergence.factor: must be a finite number > 1, got ${String(factor)}`);
    this.window = window;
    this.factor = factor;
  }

  /** Records a step's loss; returns the divergence it shows, if any. Non-finite losses are not recorded. */
  record(step: number, loss: number): Divergence | undefined {
    if (!Number.isFinite(loss)) return undefined;
    const size = Math.abs(loss);
    this.floor ??= size * 1e-4;
    let base: { step: number; loss: number } | undefined;
    for (const r of this.recent) if (!base || Math.abs(r.loss) < Math.abs(base.loss)) base = r;
    this.recent.push({ step, loss });
    if (this.recent.length > this.window) this.recent.shift();
    if (!base) return undefined;
    const from = Math.max(Math.abs(base.loss), this.floor, Number.MIN_VALUE);
    const growth = size / from;
    if (!(growth >= this.factor)) return undefined;
    this.recent.length = 0;
    this.recent.push({ step, loss });
    return { step, loss, from: base.loss, fromStep: base.step, growth };
  }
}
