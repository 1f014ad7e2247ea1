import { checkBool, checkKnown, checkNumber } from '../options';
import { Rule, l2, sign } from './rule';

export interface AdagradOptions {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

/** torch.optim.Adagrad (1.13): sum += g^2; p -= lr / (1 + (t - 1) lrDecay) * g / (sqrt(sum) + eps). */
export const adagradRule: Rule<AdagradOptions> = {
  algorithm: 'Adagrad',
  elementwise: true,
  defaults: { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false },
  validate(o) {
    checkKnown('Adagrad', o, Object.keys(this.defaults));
    checkNumber('Adagrad', 'lr', o.lr);
    checkNumber('Adagrad', 'lrDecay', o.lrDecay);
    checkNumber('Adagrad', 'weightDecay', o.weightDecay);
    checkNumber('Adagrad', 'initialAccumulatorValue', o.initialAccumulatorValue);
    checkNumber('Adagrad', 'eps', o.eps);
    checkBool('Adagrad', 'maximize', o.maximize);
  },
  structure: (o) => `w${+(o.weightDecay !== 0)}`,
  state: (o) => [{ name: 'sum', init: o.initialAccumulatorValue }],
  scalars(o, t) {
    const s = sign(o.maximize);
    const values: Record<string, number> = { eps: o.eps, step: (-o.lr * s) / (1 + (t - 1) * o.lrDecay) };
    if (o.weightDecay !== 0) values.wd = s * o.weightDecay;
    return { values, variant: '' };
  },
  update(g, a, o) {
    const d = l2(g, a, o.weightDecay !== 0);
    const sum = g.add(a.state.sum, g.mul(d, d));
    const param = g.add(a.param, g.mul(g.div(d, g.add(g.sqrt(sum), a.scalars.eps)), a.scalars.step));
    return { param, state: { sum } };
  },
};
