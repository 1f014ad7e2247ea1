import { checkBetas, checkBool, checkKnown, checkNumber } from '../options';
import { Rule, ema, l2, sign } from './rule';

export interface AdamaxOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

/**
 * torch.optim.Adamax (1.13): m = b1 m + (1 - b1) g; u = max(b2 u, |g| + eps); p -= lr / (1 - b1^t) * m / u.
 */
export const adamaxRule: Rule<AdamaxOptions> = {
  algorithm: 'Adamax',
  elementwise: true,
  defaults: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false },
  validate(o) {
    checkKnown('Adamax', o, Object.keys(this.defaults));
    checkNumber('Adamax', 'lr', o.lr);
    checkNumber('Adamax', 'eps', o.eps);
    checkBetas('Adamax', o.betas);
    checkNumber('Adamax', 'weightDecay', o.weightDecay);
    checkBool('Adamax', 'maximize', o.maximize);
  },
  structure: (o) => `w${+(o.weightDecay !== 0)}`,
  state: () => [{ name: 'expAvg', init: 0 }, { name: 'expInf', init: 0 }],
  scalars(o, t) {
    const s = sign(o.maximize);
    const [b1, b2] = o.betas;
    const values: Record<string, number> = { beta1: b1, c1: s * (1 - b1), beta2: b2, eps: o.eps, step: -o.lr / (1 - b1 ** t) };
    if (o.weightDecay !== 0) values.wd = s * o.weightDecay;
    return { values, variant: '' };
  },
  update(g, a, o) {
    const s = a.scalars;
    const d = l2(g, a, o.weightDecay !== 0); // |sign * d| = |d|
    const m = ema(g, a.state.expAvg, s.beta1, d, s.c1);
    const u = g.max(g.mul(a.state.expInf, s.beta2), g.add(g.abs(d), s.eps));
    return { param: g.add(a.param, g.mul(g.div(m, u), s.step)), state: { expAvg: m, expInf: u } };
  },
};
