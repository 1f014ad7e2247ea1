import { Value } from '@ortrain/graph-builder';
import { checkBool, checkKnown, checkNumber } from '../options';
import { Rule, ema, l2, sign } from './rule';

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
export const rmspropRule: Rule<RMSpropOptions> = {
  algorithm: 'RMSprop',
  elementwise: true,
  defaults: { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false },
  validate(o) {
    checkKnown('RMSprop', o, Object.keys(this.defaults));
    checkNumber('RMSprop', 'lr', o.lr);
    checkNumber('RMSprop', 'eps', o.eps);
    checkNumber('RMSprop', 'momentum', o.momentum);
    checkNumber('RMSprop', 'weightDecay', o.weightDecay);
    checkNumber('RMSprop', 'alpha', o.alpha);
    checkBool('RMSprop', 'centered', o.centered);
    checkBool('RMSprop', 'maximize', o.maximize);
  },
  structure: (o) => `w${+(o.weightDecay !== 0)}m${+(o.momentum > 0)}c${+o.centered}s${sign(o.maximize)}`,
  state(o) {
    const names = ['squareAvg'];
    if (o.momentum > 0) names.push('momentumBuffer');
    if (o.centered) names.push('gradAvg');
    return names.map((name) => ({ name, init: 0 }));
  },
  scalars(o) {
    const s = sign(o.maximize);
    const values: Record<string, number> = { alpha: o.alpha, c: 1 - o.alpha, eps: o.eps };
    if (o.weightDecay !== 0) values.wd = s * o.weightDecay;
    if (o.centered) values.cg = s * (1 - o.alpha);
    if (o.momentum > 0) {
      values.momentum = o.momentum;
      values.lr = o.lr;
    } else {
      values.step = -o.lr * s;
    }
    return { values, variant: '' };
  },
  update(g, a, o) {
    const s = a.scalars;
    const d = l2(g, a, o.weightDecay !== 0); // the true gradient is sign * d
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
      return { param: g.sub(a.param, g.mul(buf, s.lr)), state };
    }
    return { param: g.add(a.param, g.mul(r, s.step)), state };
  },
};
