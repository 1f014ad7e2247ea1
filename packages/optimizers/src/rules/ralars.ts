import { algorithm } from '../algorithm';
import { checkBetas, checkBool, checkCompat, checkKnown, checkNumber, checkScaleClip } from '../options';
import { learningRate } from '../transforms/learning-rate';
import { trustRatio } from '../transforms/trust-ratio';
import { updateDecay } from '../transforms/weight-decay';
import { scaleByRAdam } from './radam';

export interface RaLarsOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  /** Adam's direction where RAdam would use plain momentum (holocron's force_adaptive_momentum). */
  forceAdaptiveMomentum: boolean;
  scaleClip: [number, number];
  /** 'holocron': holocron's code, which rectifies when rho_t > 4 instead of torch's 5. */
  compat: 'holocron' | null;
}

/**
 * RaLars (holocron): RAdam's direction (rectified when rho_t > 5, as torch.optim.RAdam), u = direction +
 * weightDecay * p, then LARS's trust ratio clip(||p||, scaleClip) / ||u|| per tensor. Composed as scaleByRAdam
 * + updateDecay + trustRatio + learningRate. Departs from holocron's code only in the threshold: holocron
 * rectifies when rho_t > 4 (the RAdam paper's bound), torch and the official RAdam at 5, where the
 * rectification term is defined; `compat: 'holocron'` uses 4.
 */
export const ralars = algorithm<RaLarsOptions>({
  name: 'RaLars',
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, forceAdaptiveMomentum: false, scaleClip: [0, 10], compat: null },
  validate(o) {
    checkKnown('RaLars', o, Object.keys(ralars.defaults));
    checkNumber('RaLars', 'lr', o.lr);
    checkNumber('RaLars', 'eps', o.eps);
    checkBetas('RaLars', o.betas);
    checkNumber('RaLars', 'weightDecay', o.weightDecay);
    checkBool('RaLars', 'forceAdaptiveMomentum', o.forceAdaptiveMomentum);
    checkScaleClip('RaLars', o.scaleClip, false);
    checkCompat('RaLars', o.compat, ['holocron']);
  },
  rule: scaleByRAdam({ threshold: (o) => (o.compat === 'holocron' ? 4 : 5), adaptive: (o) => o.forceAdaptiveMomentum, correctedEps: true }),
  after: [
    updateDecay((o) => o.weightDecay),
    trustRatio({ measure: 'update', scaleClip: (o) => o.scaleClip }),
    learningRate((o) => o.lr),
  ],
});
