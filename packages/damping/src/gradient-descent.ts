import { BaseDamper, DamperOptions } from './base-damper';

/** Full gradient descent: every update uses the whole dataset, damping = datasetSize. */
export class GradientDescent extends BaseDamper {
  constructor(options: DamperOptions) {
    super(options, { className: 'GradientDescent', damper: 'gd', options: [] });
  }

  protected override damping(): number {
    return this.datasetSize;
  }
}
