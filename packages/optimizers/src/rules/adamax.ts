import { algorithm } from '../algorithm';
import { checkBetas, checkBool, checkKnown, checkNumber } from '../options';
import { gradientSign, learningRate } from '../transforms/learning-rate';
import { l2Decay } from '../transforms/weight-decay';
import { ema } from './rule';

export interface AdamaxOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

/** torch.optim.Adamax (1.13): m = b1 m + (1 - b1) g; u = max(b2 u, |g| + eps); p -= lr / (1 - b1^t) * m / u. */
export const adamax = algorithm<AdamaxOptions>({
  name: 'Adamax',
  defaults: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false },
  validate(o) {
    checkKnown('Adamax', o, Object.keys(adamax.defaults));
    checkNumber('Adamax', 'lr', o.lr);
    checkNumber('Adamax', 'eps', o.eps);
    checkBetas('Adamax', o.betas);
    checkNumber('Adamax', 'weightDecay', o.weightDecay);
    checkBool('Adamax', 'maximize', o.maximize);
  },
  before: [gradientSign((o) => o.maximize), l2Decay((o) => o.weightDecay)],
  rule: {
    name: 'adamax',
    elementwise: true,
    structure: () => '',
    state: () => [{ name: 'expAvg', init: 0 }, { name: 'expInf', init: 0 }],
    scalars(o, t, _h, gs) {
      const [b1, b2] = o.betas;
      return { values: { beta1: b1, c1: gs * (1 - b1), beta2: b2, eps: o.eps }, scales: [1 / (1 - b1 ** t)] };
    },
    direction(g, a) {
      const s = a.scalars;
      const m = ema(g, a.state.expAvg, s.beta1, a.grad, s.c1);
      const u = g.max(g.mul(a.state.expInf, s.beta2), g.add(g.abs(a.grad), s.eps)); // |gradScale * d| = |d|
      return { terms: [g.div(m, u)], state: { expAvg: m, expInf: u } };
    },
  },
  after: [learningRate((o) => o.lr)],
});
