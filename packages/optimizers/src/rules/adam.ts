import type { GraphBuilder, Value } from '@ortrain/graph-builder';
import { checkBetas, checkBool, checkKnown, checkNumber } from '../options';
import { Rule, UpdateArgs, ema, l2, sign } from './rule';

export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
  /**
   * dragon's epsilon-hat form: p -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps), eps not scaled
   * by the bias correction (torch adds eps to sqrt(v / (1 - b2^t))). Default false (torch's form).
   */
  epsHat: boolean;
}

export function checkAdamLike(algo: string, o: { lr: number; betas: [number, number]; eps: number; weightDecay: number }): void {
  checkNumber(algo, 'lr', o.lr);
  checkNumber(algo, 'eps', o.eps);
  checkBetas(algo, o.betas);
  checkNumber(algo, 'weightDecay', o.weightDecay);
}

/** Adam's moments and step, shared with AdamW; `p` is the parameter after any decoupled decay. */
export function adamCore(g: GraphBuilder, a: UpdateArgs, d: Value, p: Value, amsgrad: boolean): { param: Value; state: Record<string, Value> } {
  const s = a.scalars;
  const m = ema(g, a.state.expAvg, s.beta1, d, s.c1);
  const v = g.add(g.mul(a.state.expAvgSq, s.beta2), g.mul(g.mul(d, s.c2), d));
  const state: Record<string, Value> = { expAvg: m, expAvgSq: v };
  let vUsed = v;
  if (amsgrad) state.maxExpAvgSq = vUsed = g.max(a.state.maxExpAvgSq, v);
  const param = g.add(p, g.mul(g.div(m, g.add(g.sqrt(vUsed), s.eps)), s.step));
  return { param, state };
}

/**
 * Scalars of Adam's step t: torch's denominator sqrt(v / bc2) + eps is (sqrt(v) + eps * sqrt(bc2)) / sqrt(bc2),
 * so the bias corrections fold into one step size and one epsilon.
 */
export function adamScalars(o: { lr: number; betas: [number, number]; eps: number; weightDecay: number; maximize: boolean }, t: number, epsHat: boolean): Record<string, number> {
  const s = sign(o.maximize);
  const [b1, b2] = o.betas;
  const bc1 = 1 - b1 ** t;
  const bc2 = 1 - b2 ** t;
  return {
    ...(o.weightDecay !== 0 ? { wd: s * o.weightDecay } : {}),
    beta1: b1,
    c1: s * (1 - b1),
    beta2: b2,
    c2: 1 - b2,
    eps: epsHat ? o.eps : o.eps * Math.sqrt(bc2),
    step: (-o.lr * Math.sqrt(bc2)) / bc1,
  };
}

export function adamState(amsgrad: boolean): { name: string; init: number }[] {
  const names = amsgrad ? ['expAvg', 'expAvgSq', 'maxExpAvgSq'] : ['expAvg', 'expAvgSq'];
  return names.map((name) => ({ name, init: 0 }));
}

/** torch.optim.Adam (1.13) with L2 weight decay and amsgrad; dragon's epsilon-hat form as `epsHat`. */
export const adamRule: Rule<AdamOptions> = {
  algorithm: 'Adam',
  elementwise: true,
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, epsHat: false },
  validate(o) {
    checkKnown('Adam', o, Object.keys(this.defaults));
    checkAdamLike('Adam', o);
    checkBool('Adam', 'amsgrad', o.amsgrad);
    checkBool('Adam', 'maximize', o.maximize);
    checkBool('Adam', 'epsHat', o.epsHat);
  },
  structure: (o) => `w${+(o.weightDecay !== 0)}a${+o.amsgrad}`,
  state: (o) => adamState(o.amsgrad),
  scalars: (o, t) => ({ values: adamScalars(o, t, o.epsHat), variant: '' }),
  update(g, a, o) {
    return adamCore(g, a, l2(g, a, o.weightDecay !== 0), a.param, o.amsgrad);
  },
};
