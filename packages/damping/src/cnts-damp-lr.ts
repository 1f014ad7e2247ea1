import { BaseDamper, DamperOptions } from './base-damper';
import { roundHalfEven } from './numerics';
import { checkNumber } from './options';

export interface CntsDampLROptions extends DamperOptions {
  /** Slope of the damping in updates. Default 0.02. */
  dampingfactor?: number;
}

/**
 * The lr decays like 1/k: damping = np.round(B0 + 1 + dampingfactor * (k + 1)) (ties to even), maxBatchSize is
 * initialBatchSize, so the batch stays B0 and lr = lr0 * B0 / damping.
 */
export class CntsDampLR extends BaseDamper {
  readonly dampingfactor: number;

  constructor(options: CntsDampLROptions) {
    super(options, { className: 'CntsDampLR', damper: 'cntsdamplr', options: ['dampingfactor'], maxIsInitial: true });
    this.dampingfactor = checkNumber('CntsDampLR', 'dampingfactor', options.dampingfactor ?? 0.02, 0);
  }

  protected override damping(): number {
    return roundHalfEven(this.initialBatchSize + 1 + this.dampingfactor * (this.modelUpdates + 1));
  }

  protected override extraMeta(): Record<string, unknown> {
    return { dampingfactor: this.dampingfactor };
  }
}
