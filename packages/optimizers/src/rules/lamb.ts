import { algorithm } from '../algorithm';
import { checkBetas, checkCompat, checkKnown, checkNumber, checkScaleClip } from '../options';
import { learningRate } from '../transforms/learning-rate';
import { trustRatio } from '../transforms/trust-ratio';
import { updateDecay } from '../transforms/weight-decay';
import { scaleByAdam } from './adam';

export interface LAMBOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  /** Bounds of the weight norm in the trust ratio (holocron's scale_clip). */
  scaleClip: [number, number];
  /** 'holocron': holocron's code, without bias correction. */
  compat: 'holocron' | null;
}

/**
 * LAMB (You et al.): r = m^ / (sqrt(v^) + eps) (Adam's direction), u = r + weightDecay * p, then
 * p -= lr * clip(||p||, scaleClip) / ||u|| * u per tensor (ratio 1 where either norm is 0). Composed as
 * scaleByAdam + updateDecay + trustRatio + learningRate.
 */
export const lamb = algorithm<LAMBOptions>({
  name: 'LAMB',
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, scaleClip: [0, 10], compat: null },
  validate(o) {
    checkKnown('LAMB', o, Object.keys(lamb.defaults));
    checkNumber('LAMB', 'lr', o.lr);
    checkNumber('LAMB', 'eps', o.eps);
    checkBetas('LAMB', o.betas);
    checkNumber('LAMB', 'weightDecay', o.weightDecay);
    checkScaleClip('LAMB', o.scaleClip, false);
    checkCompat('LAMB', o.compat, ['holocron']);
  },
  rule: scaleByAdam({ biasCorrection: (o) => o.compat !== 'holocron' }),
  after: [
    updateDecay((o) => o.weightDecay),
    trustRatio({ measure: 'update', scaleClip: (o) => o.scaleClip }),
    learningRate((o) => o.lr),
  ],
});
