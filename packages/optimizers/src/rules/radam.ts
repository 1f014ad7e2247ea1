import { checkBool, checkKnown } from '../options';
import { checkAdamLike } from './adam';
import { Rule, ema, l2, sign } from './rule';

export interface RAdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

/**
 * torch.optim.RAdam (1.13). rho_inf = 2 / (1 - b2) - 1, rho_t = rho_inf - 2 t b2^t / (1 - b2^t). When
 * rho_t > 5: p -= lr * r_t * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps) with the rectification r_t;
 * else p -= lr / (1 - b1^t) * m. The two forms are two graph variants; r_t is computed in float64 on the host.
 */
export const radamRule: Rule<RAdamOptions> = {
  algorithm: 'RAdam',
  elementwise: true,
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false },
  validate(o) {
    checkKnown('RAdam', o, Object.keys(this.defaults));
    checkAdamLike('RAdam', o);
    checkBool('RAdam', 'maximize', o.maximize);
  },
  structure: (o) => `w${+(o.weightDecay !== 0)}`,
  state: () => [{ name: 'expAvg', init: 0 }, { name: 'expAvgSq', init: 0 }],
  scalars(o, t) {
    const s = sign(o.maximize);
    const [b1, b2] = o.betas;
    const bc1 = 1 - b1 ** t;
    const bc2 = 1 - b2 ** t;
    const rhoInf = 2 / (1 - b2) - 1;
    const rhoT = rhoInf - (2 * t * b2 ** t) / bc2;
    const values: Record<string, number> = { beta1: b1, c1: s * (1 - b1), beta2: b2, c2: 1 - b2 };
    if (o.weightDecay !== 0) values.wd = s * o.weightDecay;
    if (rhoT > 5) {
      const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
      values.eps = o.eps;
      values.step = (-o.lr * rect * Math.sqrt(bc2)) / bc1;
      return { values, variant: 'rect' };
    }
    values.step = -o.lr / bc1;
    return { values, variant: 'plain' };
  },
  update(g, a, o) {
    const s = a.scalars;
    const d = l2(g, a, o.weightDecay !== 0);
    const m = ema(g, a.state.expAvg, s.beta1, d, s.c1);
    const v = g.add(g.mul(a.state.expAvgSq, s.beta2), g.mul(g.mul(d, s.c2), d));
    const delta = a.variant === 'rect' ? g.div(m, g.add(g.sqrt(v), s.eps)) : m;
    return { param: g.add(a.param, g.mul(delta, s.step)), state: { expAvg: m, expAvgSq: v } };
  },
};
