import { algorithm } from '../algorithm';
import { checkBool, checkCompat, checkKnown, checkNumber, checkScaleClip } from '../options';
import { gradientLearningRate, learningRate } from '../transforms/learning-rate';
import { trustRatio } from '../transforms/trust-ratio';
import { l2Decay } from '../transforms/weight-decay';
import { sgdMomentum } from './sgd';

export interface LARSOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  trustCoefficient: number;
  eps: number;
  /** Bounds of the weight norm in the trust ratio (holocron's documented scale_clip); null for none. */
  scaleClip: [number, number] | null;
  /** Scale without weight decay too (timm's always_adapt; quadra scales only when weightDecay != 0). */
  alwaysAdapt: boolean;
  /**
   * The learning rate multiplies each step before the momentum buffer (the paper's and holocron's documented
   * form) instead of the buffer (torch's SGD, quadra). The same with a constant lr; differs under a schedule.
   */
  lrInMomentum: boolean;
  /** 'quadra' (the default form) or 'holocron': holocron's code. */
  compat: 'quadra' | 'holocron' | null;
}

const holocron = (o: LARSOptions) => o.compat === 'holocron';

/**
 * LARS (You et al.). quadra's form, the default: d = g + weightDecay * p, scaled per tensor by
 * trustCoefficient * clip(||p||) / (||g|| + weightDecay * ||p|| + eps) (only when weightDecay != 0 unless
 * alwaysAdapt, and not where a norm is 0), then torch's SGD momentum, p -= lr * buf. `compat: 'holocron'`:
 * the momentum buffer takes the unscaled d and the step is lr * ||p|| / (||g|| + weightDecay * ||p||) * buf
 * (no trust coefficient, no eps; holocron stores scaleClip but never uses it).
 */
export const lars = algorithm<LARSOptions>({
  name: 'LARS',
  defaults: { lr: undefined, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, trustCoefficient: 0.001, eps: 1e-8, scaleClip: null, alwaysAdapt: false, lrInMomentum: false, compat: null },
  validate(o) {
    checkKnown('LARS', o, Object.keys(lars.defaults));
    if (o.lr === undefined) throw new RangeError('LARS: option lr is required (undefined given)');
    checkNumber('LARS', 'lr', o.lr);
    checkNumber('LARS', 'momentum', o.momentum);
    checkNumber('LARS', 'dampening', o.dampening, -Infinity);
    checkNumber('LARS', 'weightDecay', o.weightDecay);
    checkBool('LARS', 'nesterov', o.nesterov);
    checkNumber('LARS', 'trustCoefficient', o.trustCoefficient);
    checkNumber('LARS', 'eps', o.eps);
    checkScaleClip('LARS', o.scaleClip, true);
    checkBool('LARS', 'alwaysAdapt', o.alwaysAdapt);
    checkBool('LARS', 'lrInMomentum', o.lrInMomentum);
    checkCompat('LARS', o.compat, ['quadra', 'holocron']);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new RangeError(`LARS: nesterov requires a momentum > 0 and zero dampening (momentum ${o.momentum}, dampening ${o.dampening})`);
    }
  },
  before: [
    l2Decay((o) => o.weightDecay),
    trustRatio({
      name: 'lars',
      measure: 'gradient',
      enabled: (o) => !holocron(o) && (o.alwaysAdapt || o.weightDecay !== 0),
      scaleClip: (o) => o.scaleClip ?? undefined,
      trustCoefficient: (o) => o.trustCoefficient,
      eps: (o) => o.eps,
      weightDecay: (o) => o.weightDecay,
    }),
    gradientLearningRate((o) => (o.lrInMomentum ? o.lr : 1)),
  ],
  rule: sgdMomentum(),
  after: [
    trustRatio({ name: 'local', measure: 'gradient', enabled: holocron, weightDecay: (o) => o.weightDecay }),
    learningRate((o) => (o.lrInMomentum ? 1 : o.lr)),
  ],
});
