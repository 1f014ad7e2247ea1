import { checkBool, checkKnown } from '../options';
import { adamCore, adamScalars, adamState, checkAdamLike } from './adam';
import { Rule } from './rule';

export interface AdamWOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

/** torch.optim.AdamW (1.13): p *= 1 - lr * weightDecay, then Adam's update without L2 decay. */
export const adamwRule: Rule<AdamWOptions> = {
  algorithm: 'AdamW',
  elementwise: true,
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false },
  validate(o) {
    checkKnown('AdamW', o, Object.keys(this.defaults));
    checkAdamLike('AdamW', o);
    checkBool('AdamW', 'amsgrad', o.amsgrad);
    checkBool('AdamW', 'maximize', o.maximize);
  },
  structure: (o) => `w${+(o.weightDecay !== 0)}a${+o.amsgrad}`,
  state: (o) => adamState(o.amsgrad),
  scalars(o, t) {
    const values = adamScalars({ ...o, weightDecay: 0 }, t, false);
    values.decay = 1 - o.lr * o.weightDecay;
    return { values, variant: '' };
  },
  update(g, a, o) {
    const p = o.weightDecay !== 0 ? g.mul(a.param, a.scalars.decay) : a.param;
    return adamCore(g, a, a.grad, p, o.amsgrad);
  },
};
