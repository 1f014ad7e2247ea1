import { algorithm } from '../algorithm';
import { checkBool, checkKnown, checkNumber } from '../options';
import { gradientSign, learningRate } from '../transforms/learning-rate';
import { l2Decay } from '../transforms/weight-decay';
import { checkAdamLike } from './adam';

export interface NAdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  momentumDecay: number;
  maximize: boolean;
}

/**
 * torch.optim.NAdam (1.13): mu_t = b1 (1 - 0.5 * 0.96^(t * momentumDecay)); the product of the mu's is kept
 * per parameter in float32 as torch keeps it; denom = sqrt(v / bc2) + eps;
 * p -= lr (1 - mu_t) / (1 - prod_t) * g / denom + lr mu_{t+1} / (1 - prod_t mu_t mu_{t+1}) * m / denom
 * (torch 1.13's second product counts mu_t twice; its trajectories are reproduced as they are).
 * Both terms share the denominator and m = b1 m_prev + (1 - b1) g, so the direction is
 * (k1 * m_prev + k2 * g) / (sqrt(v) + eps sqrt(bc2)) with the sqrt(bc2) folded into k1 and k2.
 */
export const nadam = algorithm<NAdamOptions>({
  name: 'NAdam',
  defaults: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3, maximize: false },
  validate(o) {
    checkKnown('NAdam', o, Object.keys(nadam.defaults));
    checkAdamLike('NAdam', o);
    checkNumber('NAdam', 'momentumDecay', o.momentumDecay);
    checkBool('NAdam', 'maximize', o.maximize);
  },
  before: [gradientSign((o) => o.maximize), l2Decay((o) => o.weightDecay)],
  rule: {
    name: 'nadam',
    elementwise: true,
    structure: () => '',
    state: () => [{ name: 'expAvg', init: 0 }, { name: 'expAvgSq', init: 0 }],
    hostState: () => ({ muProduct: 1 }),
    scalars(o, t, host, gs) {
      const [b1, b2] = o.betas;
      const bc2 = 1 - b2 ** t;
      const mu = b1 * (1 - 0.5 * 0.96 ** (t * o.momentumDecay));
      const muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * o.momentumDecay));
      const muProduct = Math.fround(host.muProduct * mu);
      // torch 1.13 multiplies by mu a second time here (mu_product * mu * mu_next); the reference is followed.
      const muProductNext = Math.fround(Math.fround(muProduct * mu) * muNext);
      const cg = (1 - mu) / (1 - muProduct); // coefficient of g / denom
      const cm = muNext / (1 - muProductNext); // coefficient of m / denom
      const root = Math.sqrt(bc2);
      const values = { beta1: b1, c1: gs * (1 - b1), beta2: b2, c2: 1 - b2, eps: o.eps * root, km: cm * b1 * root, kg: gs * (cg + cm * (1 - b1)) * root };
      return { values, scales: [1], foldInto: [['km', 'kg']], host: { muProduct } };
    },
    direction(g, a) {
      const s = a.scalars;
      const m = g.add(g.mul(a.state.expAvg, s.beta1), g.mul(a.grad, s.c1));
      const v = g.add(g.mul(a.state.expAvgSq, s.beta2), g.mul(g.mul(a.grad, s.c2), a.grad));
      const num = g.add(g.mul(a.state.expAvg, s.km), g.mul(a.grad, s.kg));
      return { terms: [g.div(num, g.add(g.sqrt(v), s.eps))], state: { expAvg: m, expAvgSq: v } };
    },
  },
  after: [learningRate((o) => o.lr)],
});
