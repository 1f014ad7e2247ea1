import { algorithm } from '../algorithm';
import { checkBetas, checkBool, checkCompat, checkKnown, checkNumber } from '../options';
import { learningRate } from '../transforms/learning-rate';
import { projection } from '../transforms/projection';
import { l2Decay } from '../transforms/weight-decay';
import { scaleByAdam } from './adam';

export interface AdamPOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  delta: number;
  /** 'holocron': a no-op (the default is holocron's code). */
  compat: 'holocron' | null;
}

/**
 * AdamP as holocron's code: L2 decay, Adam's direction (amsgrad as torch), then the projection that removes the
 * update's radial component where the parameter and the gradient are nearly orthogonal. Composed as
 * scaleByAdam + projection + learningRate. (holocron's documentation puts eps inside the square root and the
 * official clovaai code uses |cos|, channel views and decoupled decay; the default follows holocron's code, as
 * the golden README asks.)
 */
export const adamp = algorithm<AdamPOptions>({
  name: 'AdamP',
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, delta: 0.1, compat: null },
  validate(o) {
    checkKnown('AdamP', o, Object.keys(adamp.defaults));
    checkNumber('AdamP', 'lr', o.lr);
    checkNumber('AdamP', 'eps', o.eps);
    checkBetas('AdamP', o.betas);
    checkNumber('AdamP', 'weightDecay', o.weightDecay);
    checkBool('AdamP', 'amsgrad', o.amsgrad);
    checkNumber('AdamP', 'delta', o.delta);
    checkCompat('AdamP', o.compat, ['holocron']);
  },
  before: [l2Decay((o) => o.weightDecay)],
  rule: scaleByAdam(),
  after: [projection((o) => o.delta, () => 1e-8), learningRate((o) => o.lr)],
});
