import { algorithm } from '../algorithm';
import { checkBool, checkKnown } from '../options';
import { gradientSign, learningRate } from '../transforms/learning-rate';
import { l2Decay } from '../transforms/weight-decay';
import { checkAdamLike } from './adam';
import { Rule, ema } from './rule';

export interface RAdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

/** What RAdam's direction reads of an algorithm's options. */
export interface RAdamLike {
  betas: readonly number[];
  eps: number;
}

/**
 * RAdam's direction. rho_inf = 2 / (1 - b2) - 1, rho_t = rho_inf - 2 t b2^t / (1 - b2^t). When rho_t > threshold
 * (torch: 5): r_t * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps) with the rectification r_t; else
 * m / (1 - b1^t), or with `adaptive` (holocron's force_adaptive_momentum) m^ / (sqrt(v^) + eps). The forms are
 * graph variants; r_t is computed in float64 on the host.
 */
export function scaleByRAdam<O extends RAdamLike>(spec: {
  threshold?: (o: O) => number;
  adaptive?: (o: O) => boolean;
  /** In the rectified form, eps added to sqrt(v / (1 - b2^t)) (holocron) instead of sqrt(v) (torch). */
  correctedEps?: boolean;
} = {}): Rule<O> {
  return {
    name: 'radam',
    elementwise: true,
    structure: () => '',
    state: () => [{ name: 'expAvg', init: 0 }, { name: 'expAvgSq', init: 0 }],
    scalars(o, t, _h, gs) {
      const [b1, b2] = o.betas;
      const bc1 = 1 - b1 ** t;
      const bc2 = 1 - b2 ** t;
      const rhoInf = 2 / (1 - b2) - 1;
      const rhoT = rhoInf - (2 * t * b2 ** t) / bc2;
      const values: Record<string, number> = { beta1: b1, c1: gs * (1 - b1), beta2: b2, c2: 1 - b2 };
      if (rhoT > (spec.threshold?.(o) ?? 5)) {
        const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
        values.eps = spec.correctedEps ? o.eps * Math.sqrt(bc2) : o.eps;
        return { values, scales: [(rect * Math.sqrt(bc2)) / bc1], variant: 'rect' };
      }
      if (spec.adaptive?.(o)) {
        values.eps = o.eps * Math.sqrt(bc2);
        return { values, scales: [Math.sqrt(bc2) / bc1], variant: 'adaptive' };
      }
      return { values, scales: [1 / bc1], variant: 'plain' };
    },
    direction(g, a) {
      const s = a.scalars;
      const m = ema(g, a.state.expAvg, s.beta1, a.grad, s.c1);
      const v = g.add(g.mul(a.state.expAvgSq, s.beta2), g.mul(g.mul(a.grad, s.c2), a.grad));
      const delta = a.variant === 'plain' ? m : g.div(m, g.add(g.sqrt(v), s.eps));
      return { terms: [delta], state: { expAvg: m, expAvgSq: v } };
    },
  };
}

/** torch.optim.RAdam (1.13). */
export const radam = algorithm<RAdamOptions>({
  name: 'RAdam',
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false },
  validate(o) {
    checkKnown('RAdam', o, Object.keys(radam.defaults));
    checkAdamLike('RAdam', o);
    checkBool('RAdam', 'maximize', o.maximize);
  },
  before: [gradientSign((o) => o.maximize), l2Decay((o) => o.weightDecay)],
  rule: scaleByRAdam(),
  after: [learningRate((o) => o.lr)],
});
