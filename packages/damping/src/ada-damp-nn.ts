import { BaseDamper, checkNullableNumber, DamperMeta, DamperOptions } from './base-damper';
import { ceilInt, npSumSquares } from './numerics';
import { checkBool, checkFunction, checkNumber } from './options';

/** Gradients of every parameter, as flat arrays. */
export type Gradients = (Float32Array | Float64Array)[];

export interface AdaDampNNOptions extends DamperOptions {
  /**
   * The gradient of the loss summed over the whole training set at the current parameters (adadamp's
   * `_get_grads()`), one array per parameter, called with the damper's meta as at update k whenever damping()
   * is evaluated. Required.
   */
  gradients: (meta: DamperMeta) => Gradients | Promise<Gradients>;
  /** Ask `gradients` for a tenth of the data (meta.approx). Default false. */
  approx?: boolean;
  /** Accepted, as adadamp does; its rule does not use it. Default false. */
  noisy?: boolean;
  /** Accepted, as adadamp does; its rule does not use it. Default 1. */
  bestNorm2?: number;
}

/**
 * AdaDamp on the gradient norm: B_k = ceil(B0 * n_0 / n_k), n_k = sum(g**2) / (number of parameters) of the full
 * gradient, summed as numpy does (float32 arrays in float32, pairwise).
 */
export class AdaDampNN extends BaseDamper {
  readonly gradients: (meta: DamperMeta) => Gradients | Promise<Gradients>;
  readonly approx: boolean;
  readonly noisy: boolean;
  readonly bestNorm2: number;
  private initialNorm2: number | null = null;
  private currentNorm2: number | null = null;

  constructor(options: AdaDampNNOptions) {
    super(options, { className: 'AdaDampNN', damper: 'adadampnn', options: ['gradients', 'approx', 'noisy', 'bestNorm2'] });
    this.gradients = checkFunction('AdaDampNN', 'gradients', options.gradients, '(meta) => the full gradient, one array per parameter');
    this.approx = checkBool('AdaDampNN', 'approx', options.approx ?? false);
    this.noisy = checkBool('AdaDampNN', 'noisy', options.noisy ?? false);
    this.bestNorm2 = checkNumber('AdaDampNN', 'bestNorm2', options.bestNorm2 ?? 1, 0);
  }

  protected override async damping(): Promise<number> {
    const k = this.modelUpdates;
    const grads = await this.gradients(this.meta);
    if (!Array.isArray(grads) || grads.length === 0 || !grads.every((g) => g instanceof Float32Array || g instanceof Float64Array)) {
      throw new RangeError(`AdaDampNN: the gradients callback must return a non-empty array of Float32Array or Float64Array (update ${k})`);
    }
    // Python's sum() from the integer 0, each term numpy's np.sum(g**2), then divided by the parameter count.
    let norm2 = 0;
    let count = 0;
    for (const g of grads) {
      norm2 += npSumSquares(g);
      count += g.length;
    }
    if (count === 0) throw new RangeError(`AdaDampNN: the gradients callback returned no values (update ${k})`);
    norm2 /= count;
    if (k === 0) {
      this.initialNorm2 = norm2;
      return this.initialBatchSize;
    }
    const initial = this.initialNorm2;
    if (initial === null) throw new Error(`AdaDampNN: no initial gradient norm at update ${k} (a state dict without it?)`);
    const value = ceilInt((this.initialBatchSize * initial) / norm2, `AdaDampNN: B0 * n_0 / n_${k} with n_0 = ${initial}, n_${k} = ${norm2}`);
    this.currentNorm2 = norm2;
    return value;
  }

  protected override extraMeta(): Record<string, unknown> {
    return { approx: this.approx, noisy: this.noisy, bestNorm2: this.bestNorm2, initialNorm2: this.initialNorm2, currentNorm2: this.currentNorm2 };
  }

  protected override extraState(): Record<string, unknown> {
    return { initialNorm2: this.initialNorm2, currentNorm2: this.currentNorm2 };
  }

  protected override loadExtraState(extra: Record<string, unknown>): void {
    const initialNorm2 = checkNullableNumber('AdaDampNN.loadStateDict', 'extra.initialNorm2', extra.initialNorm2);
    const currentNorm2 = checkNullableNumber('AdaDampNN.loadStateDict', 'extra.currentNorm2', extra.currentNorm2);
    this.initialNorm2 = initialNorm2;
    this.currentNorm2 = currentNorm2;
  }
}
