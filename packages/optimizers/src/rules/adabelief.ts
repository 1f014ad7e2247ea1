import type { Value } from '@ortrain/graph-builder';
import { algorithm } from '../algorithm';
import { checkBetas, checkBool, checkCompat, checkKnown, checkNumber } from '../options';
import type { StateSpec } from '../state-spec';
import { learningRate } from '../transforms/learning-rate';
import { l2Decay } from '../transforms/weight-decay';
import { Rule, ema } from './rule';

export interface AdaBeliefOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  /** 'holocron': holocron's code (eps not added to s_t). */
  compat: 'holocron' | null;
}


/** What AdaBelief's direction reads of an algorithm's options. */
export interface AdaBeliefLike {
  betas: readonly number[];
  eps: number;
  amsgrad?: boolean;
  compat?: string | null;
}

const holocronForm = (o: AdaBeliefLike) => o.compat === 'holocron';

/** AdaBelief's direction: m / (sqrt(s^) + eps) with s the EMA of (g - m)^2 (+ eps unless holocron's form). */
export function scaleByAdaBelief<O extends AdaBeliefLike>(): Rule<O> {
  return {
    name: 'adabelief',
    elementwise: true,
    structure: (o) => `a${+!!o.amsgrad}h${+holocronForm(o)}`,
    state: (o) => (o.amsgrad ? ['expAvg', 'expAvgSq', 'maxExpAvgSq'] : ['expAvg', 'expAvgSq']).map((name): StateSpec => ({ name, init: 0 })),
    scalars(o, t) {
      const [b1, b2] = o.betas;
      const root = Math.sqrt(1 - b2 ** t);
      const values: Record<string, number> = { beta1: b1, c1: 1 - b1, beta2: b2, c2: 1 - b2, eps: o.eps * root };
      if (!holocronForm(o)) values.epsS = o.eps;
      return { values, scales: [root / (1 - b1 ** t)] };
    },
    direction(g, a, o) {
      const s = a.scalars;
      const grad = a.grad; // no maximize option: the gradient scale is 1
      const m = ema(g, a.state.expAvg, s.beta1, grad, s.c1);
      const r = g.sub(grad, m);
      let v = g.add(g.mul(a.state.expAvgSq, s.beta2), g.mul(g.mul(r, s.c2), r));
      if (!holocronForm(o)) v = g.add(v, s.epsS);
      const state: Record<string, Value> = { expAvg: m, expAvgSq: v };
      let used = v;
      if (o.amsgrad) state.maxExpAvgSq = used = g.max(a.state.maxExpAvgSq, v);
      return { terms: [g.div(m, g.add(g.sqrt(used), s.eps))], state };
    },
  };
}

/**
 * AdaBelief (Zhuang et al.) as the official adabelief-pytorch (weight_decouple, rectify off): L2 decay,
 * m = EMA_b1(g), s = EMA_b2((g - m)^2) + eps, p -= lr / bc1 * m / (sqrt(s / bc2) + eps); amsgrad takes the
 * running maximum of s. Departs from holocron, whose code leaves eps out of s_t although its documentation
 * (and the paper) put it in; `compat: 'holocron'` reproduces the code.
 */
export const adabelief = algorithm<AdaBeliefOptions>({
  name: 'AdaBelief',
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, compat: null },
  validate(o) {
    checkKnown('AdaBelief', o, Object.keys(adabelief.defaults));
    checkNumber('AdaBelief', 'lr', o.lr);
    checkNumber('AdaBelief', 'eps', o.eps);
    checkBetas('AdaBelief', o.betas);
    checkNumber('AdaBelief', 'weightDecay', o.weightDecay);
    checkBool('AdaBelief', 'amsgrad', o.amsgrad);
    checkCompat('AdaBelief', o.compat, ['holocron']);
  },
  before: [l2Decay((o) => o.weightDecay)],
  rule: scaleByAdaBelief(),
  after: [learningRate((o) => o.lr)],
});
