import { BaseDamper, DamperKind, DamperOptions } from './base-damper';
import { pyFloorDiv } from './numerics';
import { checkNumber } from './options';

export interface GeoDampOptions extends DamperOptions {
  /** Epochs between two growth steps. Default 5. */
  dampingdelay?: number;
  /** Growth factor of each step, >= 1. Default 2. */
  dampingfactor?: number;
}

/**
 * The batch grows geometrically with the epochs: B = B0 * dampingfactor ** (epochs // dampingdelay), with Python's
 * float floor division and a float result, as adadamp.
 */
export class GeoDamp extends BaseDamper {
  readonly dampingdelay: number;
  readonly dampingfactor: number;

  constructor(options: GeoDampOptions, kind: DamperKind = { className: 'GeoDamp', damper: 'geodamp', options: [] }) {
    super(options, { ...kind, options: ['dampingdelay', 'dampingfactor', ...kind.options] });
    this.dampingdelay = checkNumber(kind.className, 'dampingdelay', options.dampingdelay ?? 5, 0, false);
    this.dampingfactor = checkNumber(kind.className, 'dampingfactor', options.dampingfactor ?? 2, 1);
  }

  protected override damping(): number {
    const epochs = this.numExamples / this.datasetSize;
    return this.initialBatchSize * this.dampingfactor ** pyFloorDiv(epochs, this.dampingdelay);
  }

  protected override extraMeta(): Record<string, unknown> {
    return { dampingdelay: this.dampingdelay, dampingfactor: this.dampingfactor };
  }
}
