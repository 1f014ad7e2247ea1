import type { Value } from '@ortrain/graph-builder';
import { algorithm } from '../algorithm';
import { checkBool, checkKnown, checkNumber } from '../options';
import { gradientSign, learningRate } from '../transforms/learning-rate';
import { l2Decay } from '../transforms/weight-decay';
import { ema } from './rule';

export interface RMSpropOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

/**
 * torch.optim.RMSprop (1.13): sq = alpha sq + (1 - alpha) g^2; centered: ga = alpha ga + (1 - alpha) g and
 * avg = sqrt(sq - ga^2) + eps, else sqrt(sq) + eps; momentum: buf = momentum buf + g / avg, p -= lr buf;
 * else p -= lr g / avg.
 */
export const rmsprop = algorithm<RMSpropOptions>({
  name: 'RMSprop',
  defaults: { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false },
  validate(o) {
    checkKnown('RMSprop', o, Object.keys(rmsprop.defaults));
    checkNumber('RMSprop', 'lr', o.lr);
    checkNumber('RMSprop', 'eps', o.eps);
    checkNumber('RMSprop', 'momentum', o.momentum);
    checkNumber('RMSprop', 'weightDecay', o.weightDecay);
    checkNumber('RMSprop', 'alpha', o.alpha);
    checkBool('RMSprop', 'centered', o.centered);
    checkBool('RMSprop', 'maximize', o.maximize);
  },
  before: [gradientSign((o) => o.maximize), l2Decay((o) => o.weightDecay)],
  rule: {
    name: 'rmsprop',
    elementwise: true,
    // The buffer adds or subtracts g / avg by the sign (a Sub instead of a Neg node): the sign is structural.
    structure: (o) => `m${+(o.momentum > 0)}c${+o.centered}s${+o.maximize}`,
    state(o) {
      const names = ['squareAvg'];
      if (o.momentum > 0) names.push('momentumBuffer');
      if (o.centered) names.push('gradAvg');
      return names.map((name) => ({ name, init: 0 }));
    },
    scalars(o, _t, _h, gs) {
      const values: Record<string, number> = { alpha: o.alpha, c: 1 - o.alpha, eps: o.eps };
      if (o.centered) values.cg = gs * (1 - o.alpha);
      if (o.momentum > 0) values.momentum = o.momentum;
      return { values, scales: [o.momentum > 0 ? 1 : gs] };
    },
    direction(g, a, o) {
      const s = a.scalars;
      const d = a.grad; // the true gradient is gradScale * d
      const sq = g.add(g.mul(a.state.squareAvg, s.alpha), g.mul(g.mul(d, s.c), d));
      const state: Record<string, Value> = { squareAvg: sq };
      let centred = sq;
      if (o.centered) {
        const ga = ema(g, a.state.gradAvg, s.alpha, d, s.cg);
        state.gradAvg = ga;
        centred = g.sub(sq, g.mul(ga, ga));
      }
      const r = g.div(d, g.add(g.sqrt(centred), s.eps));
      if (o.momentum > 0) {
        const kept = g.mul(a.state.momentumBuffer, s.momentum);
        const buf = o.maximize ? g.sub(kept, r) : g.add(kept, r);
        state.momentumBuffer = buf;
        return { terms: [buf], state };
      }
      return { terms: [r], state };
    },
  },
  after: [learningRate((o) => o.lr)],
});
