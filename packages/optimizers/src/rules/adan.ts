import type { Value } from '@ortrain/graph-builder';
import { algorithm } from '../algorithm';
import { checkBetas3, checkBool, checkCompat, checkKnown, checkNumber } from '../options';
import type { StateSpec } from '../state-spec';
import { learningRate } from '../transforms/learning-rate';
import { l2Decay, proximalDecay } from '../transforms/weight-decay';
import { ema } from './rule';

export interface AdanOptions {
  lr: number;
  betas: [number, number, number];
  eps: number;
  weightDecay: number;
  /** holocron's amsgrad: the running maximum of n in the denominator. */
  amsgrad: boolean;
  /** 'holocron': holocron's code (L2 decay in the gradient too; the previous gradient is never updated). */
  compat: 'holocron' | null;
}

const holocron = (o: AdanOptions) => o.compat === 'holocron';

/**
 * Adan (Xie et al.), as the official sail-sg code: d = g - g_prev (0 at the first step), m = EMA_b1(g),
 * v = EMA_b2(d), n = EMA_b3((g + b2 d)^2), p = (p - lr (m / bc1 + b2 v / bc2) / (sqrt(n / bc3) + eps)) / (1 + lr wd).
 * Departs from holocron, whose code never stores the previous gradient (so d = g at every step, a bug) and
 * also adds weightDecay * p to the gradient; `compat: 'holocron'` reproduces it.
 */
export const adan = algorithm<AdanOptions>({
  name: 'Adan',
  defaults: { lr: 1e-3, betas: [0.98, 0.92, 0.99], eps: 1e-8, weightDecay: 0, amsgrad: false, compat: null },
  validate(o) {
    checkKnown('Adan', o, Object.keys(adan.defaults));
    checkNumber('Adan', 'lr', o.lr);
    checkNumber('Adan', 'eps', o.eps);
    checkBetas3('Adan', o.betas);
    checkNumber('Adan', 'weightDecay', o.weightDecay);
    checkBool('Adan', 'amsgrad', o.amsgrad);
    checkCompat('Adan', o.compat, ['holocron']);
  },
  before: [l2Decay((o) => (holocron(o) ? o.weightDecay : 0))],
  rule: {
    name: 'adan',
    elementwise: true,
    structure: (o) => `a${+o.amsgrad}h${+holocron(o)}`,
    state(o) {
      const names = ['expAvg', 'expAvgDiff', 'expAvgSq'];
      if (o.amsgrad) names.push('maxExpAvgSq');
      if (!holocron(o)) names.push('prevGrad');
      return names.map((name): StateSpec => ({ name, init: 0 }));
    },
    scalars(o, t, _h, gs) {
      const [b1, b2, b3] = o.betas;
      const bc1 = 1 - b1 ** t;
      const bc2 = 1 - b2 ** t;
      const root3 = Math.sqrt(1 - b3 ** t);
      // (m / bc1 + b2 v / bc2) / (sqrt(n) / sqrt(bc3) + eps) = (k1 m + k2 v) / (sqrt(n) + eps sqrt(bc3)).
      const values = {
        beta1: b1, c1: gs * (1 - b1), beta2: b2, c2: gs * (1 - b2), beta3: b3, c3: 1 - b3,
        keep: t === 1 ? 0 : 1, eps: o.eps * root3, k1: root3 / bc1, k2: (b2 * root3) / bc2,
      };
      return { values, scales: [1], foldInto: [['k1', 'k2']] };
    },
    direction(g, a, o) {
      const s = a.scalars;
      // The official code starts with the first gradient as the previous one: d = 0 at step 1.
      const d = holocron(o) ? a.grad : g.mul(g.sub(a.grad, a.state.prevGrad), s.keep);
      const m = ema(g, a.state.expAvg, s.beta1, a.grad, s.c1);
      const v = ema(g, a.state.expAvgDiff, s.beta2, d, s.c2);
      const z = g.add(a.grad, g.mul(d, s.beta2));
      const n = g.add(g.mul(a.state.expAvgSq, s.beta3), g.mul(g.mul(z, s.c3), z));
      const state: Record<string, Value> = { expAvg: m, expAvgDiff: v, expAvgSq: n };
      let used = n;
      if (o.amsgrad) state.maxExpAvgSq = used = g.max(a.state.maxExpAvgSq, n);
      if (!holocron(o)) state.prevGrad = a.grad;
      const num = g.add(g.mul(m, s.k1), g.mul(v, s.k2));
      return { terms: [g.div(num, g.add(g.sqrt(used), s.eps))], state };
    },
  },
  after: [learningRate((o) => o.lr), proximalDecay((o) => o.lr, (o) => o.weightDecay)],
});
