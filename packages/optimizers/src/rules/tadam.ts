import type { Value } from '@ortrain/graph-builder';
import { algorithm } from '../algorithm';
import { checkBetas, checkBool, checkCompat, checkKnown, checkNumber, checkPositiveOrNull } from '../options';
import type { StateSpec } from '../state-spec';
import { learningRate } from '../transforms/learning-rate';
import { l2Decay } from '../transforms/weight-decay';

export interface TAdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  /** Degrees of freedom of the Student-t; null for each tensor's number of elements (holocron's default). */
  dof: number | null;
  /** 'holocron': a no-op (the default is holocron's code). */
  compat: 'holocron' | null;
}

/**
 * TAdam (Ilboudo et al.) as holocron's code: per tensor, w = (dof + d) / (dof + sum((g - m)^2 / (v + eps)))
 * with the previous m and v, m = (W m + w g) / (W + w), W = (2 b1 - 1) / b1 * W + w (one number per tensor,
 * starting at b1 / (1 - b1)), v = EMA_b2(g^2), p -= lr / bc1 * m / (sqrt(v / bc2) + eps); L2 decay. (holocron's
 * documentation prints v as an EMA of g_t - g_{t-1}, which turns negative; the code and the paper do not.)
 */
export const tadam = algorithm<TAdamOptions>({
  name: 'TAdam',
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, dof: null, compat: null },
  validate(o) {
    checkKnown('TAdam', o, Object.keys(tadam.defaults));
    checkNumber('TAdam', 'lr', o.lr);
    checkNumber('TAdam', 'eps', o.eps);
    checkBetas('TAdam', o.betas);
    checkNumber('TAdam', 'weightDecay', o.weightDecay);
    checkBool('TAdam', 'amsgrad', o.amsgrad);
    checkPositiveOrNull('TAdam', 'dof', o.dof);
    checkCompat('TAdam', o.compat, ['holocron']);
  },
  before: [l2Decay((o) => o.weightDecay)],
  rule: {
    name: 'tadam',
    elementwise: false,
    structure: (o) => `a${+o.amsgrad}d${+(o.dof !== null)}`,
    state(o) {
      const specs: StateSpec[] = [{ name: 'expAvg', init: 0 }, { name: 'expAvgSq', init: 0 }];
      if (o.amsgrad) specs.push({ name: 'maxExpAvgSq', init: 0 });
      specs.push({ name: 'Wt', init: o.betas[0] / (1 - o.betas[0]), perTensor: true });
      return specs;
    },
    scalars(o, t) {
      const [b1, b2] = o.betas;
      const root = Math.sqrt(1 - b2 ** t);
      const values: Record<string, number> = { eps: o.eps, beta2: b2, c2: 1 - b2, wDecay: (2 * b1 - 1) / b1, epsC: o.eps * root };
      if (o.dof !== null) values.dof = o.dof;
      return { values, scales: [root / (1 - b1 ** t)] };
    },
    direction(g, a, o) {
      const s = a.scalars;
      const seg = a.segments;
      const grad = a.grad; // no maximize option: the gradient scale is 1
      const diff = g.sub(grad, a.state.expAvg);
      const q = seg.sum(g.div(g.mul(diff, diff), g.add(a.state.expAvgSq, s.eps)));
      const d = seg.sizes();
      const dof = o.dof === null ? d : s.dof;
      const w = g.div(g.add(dof, d), g.add(dof, q));
      const W = a.state.Wt;
      const total = g.add(W, w);
      const m = g.add(seg.scale(a.state.expAvg, g.div(W, total)), seg.scale(grad, g.div(w, total)));
      const v = g.add(g.mul(a.state.expAvgSq, s.beta2), g.mul(g.mul(a.grad, s.c2), a.grad));
      const state: Record<string, Value> = { expAvg: m, expAvgSq: v, Wt: g.add(g.mul(W, s.wDecay), w) };
      let used = v;
      if (o.amsgrad) state.maxExpAvgSq = used = g.max(a.state.maxExpAvgSq, v);
      return { terms: [g.div(m, g.add(g.sqrt(used), s.epsC))], state };
    },
  },
  after: [learningRate((o) => o.lr)],
});
