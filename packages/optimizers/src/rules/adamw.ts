import { algorithm } from '../algorithm';
import { checkBool, checkKnown } from '../options';
import { gradientSign, learningRate } from '../transforms/learning-rate';
import { decoupledDecay } from '../transforms/weight-decay';
import { checkAdamLike, scaleByAdam } from './adam';

export interface AdamWOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

/** torch.optim.AdamW (1.13): p *= 1 - lr * weightDecay, then Adam's update without L2 decay. */
export const adamw = algorithm<AdamWOptions>({
  name: 'AdamW',
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false },
  validate(o) {
    checkKnown('AdamW', o, Object.keys(adamw.defaults));
    checkAdamLike('AdamW', o);
    checkBool('AdamW', 'amsgrad', o.amsgrad);
    checkBool('AdamW', 'maximize', o.maximize);
  },
  before: [gradientSign((o) => o.maximize)],
  rule: scaleByAdam(),
  after: [learningRate((o) => o.lr), decoupledDecay((o) => o.lr, (o) => o.weightDecay)],
});
