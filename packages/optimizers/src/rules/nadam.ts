import { checkBool, checkKnown, checkNumber } from '../options';
import { checkAdamLike } from './adam';
import { Rule, l2, sign } from './rule';

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
 * Both terms share the denominator and m = b1 m_prev + (1 - b1) g, so the update is
 * p + (k1 * m_prev + k2 * g) / (sqrt(v) + eps sqrt(bc2)) with the sqrt(bc2) folded into k1 and k2.
 */
export const nadamRule: Rule<NAdamOptions> = {
  algorithm: 'NAdam',
  elementwise: true,
  defaults: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3, maximize: false },
  validate(o) {
    checkKnown('NAdam', o, Object.keys(this.defaults));
    checkAdamLike('NAdam', o);
    checkNumber('NAdam', 'momentumDecay', o.momentumDecay);
    checkBool('NAdam', 'maximize', o.maximize);
  },
  structure: (o) => `w${+(o.weightDecay !== 0)}`,
  state: () => [{ name: 'expAvg', init: 0 }, { name: 'expAvgSq', init: 0 }],
  hostState: () => ({ muProduct: 1 }),
  scalars(o, t, host) {
    const s = sign(o.maximize);
    const [b1, b2] = o.betas;
    const bc2 = 1 - b2 ** t;
    const mu = b1 * (1 - 0.5 * 0.96 ** (t * o.momentumDecay));
    const muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * o.momentumDecay));
    const muProduct = Math.fround(host.muProduct * mu);
    // torch 1.13 multiplies by mu a second time here (mu_product * mu * mu_next); the reference is followed.
    const muProductNext = Math.fround(Math.fround(muProduct * mu) * muNext);
    const cg = (-o.lr * (1 - mu)) / (1 - muProduct); // coefficient of g / denom
    const cm = (-o.lr * muNext) / (1 - muProductNext); // coefficient of m / denom
    const root = Math.sqrt(bc2);
    const values: Record<string, number> = {
      beta1: b1, c1: s * (1 - b1), beta2: b2, c2: 1 - b2, eps: o.eps * root,
      km: cm * b1 * root, kg: s * (cg + cm * (1 - b1)) * root,
    };
    if (o.weightDecay !== 0) values.wd = s * o.weightDecay;
    return { values, variant: '', host: { muProduct } };
  },
  update(g, a, o) {
    const s = a.scalars;
    const d = l2(g, a, o.weightDecay !== 0);
    const m = g.add(g.mul(a.state.expAvg, s.beta1), g.mul(d, s.c1));
    const v = g.add(g.mul(a.state.expAvgSq, s.beta2), g.mul(g.mul(d, s.c2), d));
    const num = g.add(g.mul(a.state.expAvg, s.km), g.mul(d, s.kg));
    const param = g.add(a.param, g.div(num, g.add(g.sqrt(v), s.eps)));
    return { param, state: { expAvg: m, expAvgSq: v } };
  },
};
