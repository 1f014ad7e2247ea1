import type { Value } from '@ortrain/graph-builder';
import { algorithm } from '../algorithm';
import { checkBetas, checkBool, checkKnown, checkNumber } from '../options';
import type { StateSpec } from '../state-spec';
import { learningRate, gradientSign } from '../transforms/learning-rate';
import { l2Decay } from '../transforms/weight-decay';
import { Rule, ema } from './rule';

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

/** What Adam's direction reads of an algorithm's options. */
export interface AdamLike {
  betas: readonly [number, number] | readonly number[];
  eps: number;
  amsgrad?: boolean;
  epsHat?: boolean;
}

export function adamState(amsgrad: boolean | undefined): StateSpec[] {
  const names = amsgrad ? ['expAvg', 'expAvgSq', 'maxExpAvgSq'] : ['expAvg', 'expAvgSq'];
  return names.map((name) => ({ name, init: 0 }));
}

/**
 * Adam's direction (optax's scale_by_adam): m / (sqrt(v) + eps) with torch's bias corrections, amsgrad's
 * running maximum of v, and eps either torch's (added to sqrt(v / (1 - b2^t))) or dragon's epsilon-hat.
 * torch's denominator sqrt(v / bc2) + eps is (sqrt(v) + eps * sqrt(bc2)) / sqrt(bc2), so the corrections fold
 * into the term's coefficient and one epsilon. `biasCorrection` false leaves both out (holocron's LAMB).
 */
export function scaleByAdam<O extends AdamLike>(options: { biasCorrection?: (o: O) => boolean } = {}): Rule<O> {
  return {
    name: 'adam',
    elementwise: true,
    structure: (o) => `a${+!!o.amsgrad}`,
    state: (o) => adamState(o.amsgrad),
    scalars(o, t, _host, gs) {
      const [b1, b2] = o.betas;
      const corrected = options.biasCorrection?.(o) ?? true;
      const bc1 = corrected ? 1 - b1 ** t : 1;
      const bc2 = corrected ? 1 - b2 ** t : 1;
      return {
        values: { beta1: b1, c1: gs * (1 - b1), beta2: b2, c2: 1 - b2, eps: o.epsHat ? o.eps : o.eps * Math.sqrt(bc2) },
        scales: [Math.sqrt(bc2) / bc1],
      };
    },
    direction(g, a, o) {
      const s = a.scalars;
      const m = ema(g, a.state.expAvg, s.beta1, a.grad, s.c1);
      const v = g.add(g.mul(a.state.expAvgSq, s.beta2), g.mul(g.mul(a.grad, s.c2), a.grad));
      const state: Record<string, Value> = { expAvg: m, expAvgSq: v };
      let used = v;
      if (o.amsgrad) state.maxExpAvgSq = used = g.max(a.state.maxExpAvgSq, v);
      return { terms: [g.div(m, g.add(g.sqrt(used), s.eps))], state };
    },
  };
}

/** torch.optim.Adam (1.13) with L2 weight decay and amsgrad; dragon's epsilon-hat form as `epsHat`. */
export const adam = algorithm<AdamOptions>({
  name: 'Adam',
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, epsHat: false },
  validate(o) {
    checkKnown('Adam', o, Object.keys(adam.defaults));
    checkAdamLike('Adam', o);
    checkBool('Adam', 'amsgrad', o.amsgrad);
    checkBool('Adam', 'maximize', o.maximize);
    checkBool('Adam', 'epsHat', o.epsHat);
  },
  before: [gradientSign((o) => o.maximize), l2Decay((o) => o.weightDecay)],
  rule: scaleByAdam(),
  after: [learningRate((o) => o.lr)],
});
