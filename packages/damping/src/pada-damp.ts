import { BaseDamper, DamperOptions } from './base-damper';
import { ceilInt } from './numerics';
import { checkNumber } from './options';

export interface PadaDampOptions extends DamperOptions {
  /** Examples added to the batch per model update. Default 1e-3. */
  growthRate?: number;
}

/** Passive AdaDamp: the batch grows linearly with the updates, B_k = ceil(B0 + growthRate * k). */
export class PadaDamp extends BaseDamper {
  readonly growthRate: number;

  constructor(options: PadaDampOptions) {
    super(options, { className: 'PadaDamp', damper: 'padadamp', options: ['growthRate'] });
    this.growthRate = checkNumber('PadaDamp', 'growthRate', options.growthRate ?? 1e-3, 0);
  }

  protected override damping(): number {
    return ceilInt(this.initialBatchSize + this.growthRate * this.modelUpdates, 'PadaDamp: B0 + growthRate * k');
  }

  protected override extraMeta(): Record<string, unknown> {
    return { growthRate: this.growthRate };
  }
}
