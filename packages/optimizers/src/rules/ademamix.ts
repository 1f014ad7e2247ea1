import { algorithm } from '../algorithm';
import { checkBetas3, checkBool, checkCompat, checkKnown, checkNumber, checkStepsOrNull } from '../options';
import { learningRate } from '../transforms/learning-rate';
import { decoupledDecay, l2Decay } from '../transforms/weight-decay';
import { ema } from './rule';

export interface AdEMAMixOptions {
  lr: number;
  betas: [number, number, number];
  alpha: number;
  eps: number;
  weightDecay: number;
  /** Weight decay as p *= 1 - lr * weightDecay (the official apple code) instead of L2 in the gradient (holocron). */
  decoupledWeightDecay: boolean;
  /** Steps of the official linear warm-up of alpha from 0; null for none. */
  alphaWarmup: number | null;
  /** Steps of the official half-life warm-up of beta3 from beta1; null for none. */
  beta3Warmup: number | null;
  /** 'holocron': a no-op (the default is holocron's code). */
  compat: 'holocron' | null;
}

/** The official alpha warm-up: linear from 0 to alpha over `warmup` steps. */
function alphaAt(alpha: number, t: number, warmup: number | null): number {
  return warmup && t < warmup ? (t / warmup) * alpha : alpha;
}

/** The official beta3 warm-up: linear in the half-life ln(0.5) / ln(beta) - 1, from beta1 to beta3. */
function beta3At(beta1: number, beta3: number, t: number, warmup: number | null): number {
  if (!warmup || t >= warmup) return beta3;
  const halfLife = (b: number) => Math.log(0.5) / Math.log(b + 1e-8) - 1;
  const a = t / warmup;
  return 0.5 ** (1 / ((1 - a) * halfLife(beta1) + a * halfLife(beta3) + 1));
}

/**
 * AdEMAMix (Pagliardini et al.) as holocron's code, the default: L2 decay, m1 = EMA_b1(g), m2 = EMA_b3(g),
 * v = EMA_b2(g^2), p -= lr (m1 / bc1 + alpha m2) / (sqrt(v / bc2) + eps). The official apple code is reached by
 * options: `decoupledWeightDecay: true`, `alphaWarmup` and `beta3Warmup`. (holocron's documentation puts eps
 * inside s_t as AdaBelief does; its code and the paper do not, and the default follows them.)
 */
export const ademamix = algorithm<AdEMAMixOptions>({
  name: 'AdEMAMix',
  defaults: { lr: 1e-3, betas: [0.9, 0.999, 0.9999], alpha: 5, eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false, alphaWarmup: null, beta3Warmup: null, compat: null },
  validate(o) {
    checkKnown('AdEMAMix', o, Object.keys(ademamix.defaults));
    checkNumber('AdEMAMix', 'lr', o.lr);
    checkNumber('AdEMAMix', 'eps', o.eps);
    checkBetas3('AdEMAMix', o.betas);
    checkNumber('AdEMAMix', 'alpha', o.alpha);
    checkNumber('AdEMAMix', 'weightDecay', o.weightDecay);
    checkBool('AdEMAMix', 'decoupledWeightDecay', o.decoupledWeightDecay);
    checkStepsOrNull('AdEMAMix', 'alphaWarmup', o.alphaWarmup);
    checkStepsOrNull('AdEMAMix', 'beta3Warmup', o.beta3Warmup);
    checkCompat('AdEMAMix', o.compat, ['holocron']);
  },
  before: [l2Decay((o) => (o.decoupledWeightDecay ? 0 : o.weightDecay))],
  rule: {
    name: 'ademamix',
    elementwise: true,
    structure: () => '',
    state: () => [{ name: 'expAvg', init: 0 }, { name: 'expAvgSlow', init: 0 }, { name: 'expAvgSq', init: 0 }],
    scalars(o, t, _h, gs) {
      const [b1, b2, b3f] = o.betas;
      const b3 = beta3At(b1, b3f, t, o.beta3Warmup);
      const root = Math.sqrt(1 - b2 ** t);
      const values = {
        beta1: b1, c1: gs * (1 - b1), beta2: b2, c2: 1 - b2, beta3: b3, c3: gs * (1 - b3), eps: o.eps * root,
        k1: root / (1 - b1 ** t), k2: alphaAt(o.alpha, t, o.alphaWarmup) * root,
      };
      return { values, scales: [1], foldInto: [['k1', 'k2']] };
    },
    direction(g, a) {
      const s = a.scalars;
      const m1 = ema(g, a.state.expAvg, s.beta1, a.grad, s.c1);
      const m2 = ema(g, a.state.expAvgSlow, s.beta3, a.grad, s.c3);
      const v = g.add(g.mul(a.state.expAvgSq, s.beta2), g.mul(g.mul(a.grad, s.c2), a.grad));
      const num = g.add(g.mul(m1, s.k1), g.mul(m2, s.k2));
      return { terms: [g.div(num, g.add(g.sqrt(v), s.eps))], state: { expAvg: m1, expAvgSlow: m2, expAvgSq: v } };
    },
  },
  after: [learningRate((o) => o.lr), decoupledDecay((o) => o.lr, (o) => (o.decoupledWeightDecay ? o.weightDecay : 0))],
});
