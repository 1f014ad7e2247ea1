import { BaseDamper, checkNullableNumber, DamperMeta, DamperOptions } from './base-damper';
import { ConvergenceError } from './convergence-error';
import { ceilInt } from './numerics';
import { checkBool, checkFunction, checkNumber } from './options';

export interface AdaDampOptions extends DamperOptions {
  /**
   * The loss over the whole training set at the current parameters (adadamp's `_get_loss()`), called with the
   * damper's meta as at update k whenever damping() is evaluated. Required.
   */
  loss: (meta: DamperMeta) => number | Promise<number>;
  /** Ask `loss` for an estimate on a tenth of the data (meta.approxLoss); a loss >= 1e6 is then divergence. Default false. */
  approxLoss?: boolean;
  /**
   * F*, subtracted from both losses as in the documented rule. adadamp accepts `best_train_loss` but never uses
   * it (F* is always 0 there); leave it unset to match adadamp.
   */
  bestTrainLoss?: number | null;
}

/** AdaDamp: B_k = ceil(B0 * (F(x_0) - F*) / (F(x_k) - F*)), F the full training loss; a NaN loss gives B_k = 1. */
export class AdaDamp extends BaseDamper {
  readonly loss: (meta: DamperMeta) => number | Promise<number>;
  readonly approxLoss: boolean;
  readonly bestTrainLoss: number | null;
  private initialLoss: number | null = null;
  private completeLoss: number | null = null;

  constructor(options: AdaDampOptions) {
    super(options, { className: 'AdaDamp', damper: 'adadamp', options: ['loss', 'approxLoss', 'bestTrainLoss'] });
    this.loss = checkFunction('AdaDamp', 'loss', options.loss, '(meta) => the loss over the whole training set');
    this.approxLoss = checkBool('AdaDamp', 'approxLoss', options.approxLoss ?? false);
    const best = options.bestTrainLoss;
    this.bestTrainLoss = best === undefined || best === null ? null : checkNumber('AdaDamp', 'bestTrainLoss', best, -Infinity);
  }

  protected override async damping(): Promise<number> {
    const k = this.modelUpdates;
    const loss = await this.loss(this.meta);
    if (typeof loss !== 'number') throw new RangeError(`AdaDamp: the loss callback returned ${String(loss)} at update ${k}, not a number`);
    if (this.approxLoss && loss >= 1e6) throw new ConvergenceError(`AdaDamp: approximate loss too high (${loss}) at update ${k}`);
    const initialLoss = k === 0 ? loss : this.initialLoss;
    if (initialLoss === null) throw new Error(`AdaDamp: no initial loss at update ${k} (a state dict without it?)`);
    let value = 1; // adadamp's answer to a NaN loss
    if (!Number.isNaN(loss)) {
      const best = this.bestTrainLoss;
      const f0 = best === null ? initialLoss : initialLoss - best;
      const fk = best === null ? loss : loss - best;
      value = ceilInt((this.initialBatchSize * f0) / fk, `AdaDamp: B0 * F(x_0) / F(x_${k}) with F(x_0) = ${f0}, F(x_${k}) = ${fk}`);
    }
    this.initialLoss = initialLoss;
    this.completeLoss = loss;
    return value;
  }

  protected override extraMeta(): Record<string, unknown> {
    return { approxLoss: this.approxLoss, bestTrainLoss: this.bestTrainLoss, initialLoss: this.initialLoss, completeLoss: this.completeLoss };
  }

  protected override extraState(): Record<string, unknown> {
    return { initialLoss: this.initialLoss, completeLoss: this.completeLoss };
  }

  protected override loadExtraState(extra: Record<string, unknown>): void {
    const initialLoss = checkNullableNumber('AdaDamp.loadStateDict', 'extra.initialLoss', extra.initialLoss);
    const completeLoss = checkNullableNumber('AdaDamp.loadStateDict', 'extra.completeLoss', extra.completeLoss);
    this.initialLoss = initialLoss;
    this.completeLoss = completeLoss;
  }
}
