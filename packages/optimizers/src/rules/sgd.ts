import type { Value } from '@ortrain/graph-builder';
import { checkBool, checkKnown, checkNumber } from '../options';
import { Rule, l2, sign } from './rule';

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/**
 * torch.optim.SGD (1.13): d = g (negated when maximizing) + weightDecay * p; with momentum the buffer starts
 * as d and then is momentum * buf + (1 - dampening) * d; nesterov uses d + momentum * buf; p -= lr * d.
 */
export const sgdRule: Rule<SGDOptions> = {
  algorithm: 'SGD',
  elementwise: true,
  defaults: { lr: undefined, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false },
  validate(o) {
    checkKnown('SGD', o, Object.keys(this.defaults));
    if (o.lr === undefined) throw new RangeError('SGD: option lr is required (undefined given)');
    checkNumber('SGD', 'lr', o.lr);
    checkNumber('SGD', 'momentum', o.momentum);
    checkNumber('SGD', 'dampening', o.dampening, -Infinity);
    checkNumber('SGD', 'weightDecay', o.weightDecay);
    checkBool('SGD', 'nesterov', o.nesterov);
    checkBool('SGD', 'maximize', o.maximize);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new RangeError(`SGD: nesterov requires a momentum > 0 and zero dampening (momentum ${o.momentum}, dampening ${o.dampening})`);
    }
  },
  structure: (o) => `m${+(o.momentum !== 0)}w${+(o.weightDecay !== 0)}n${+o.nesterov}`,
  state: (o) => (o.momentum !== 0 ? [{ name: 'momentumBuffer', init: 0 }] : []),
  scalars(o, t) {
    const s = sign(o.maximize);
    const values: Record<string, number> = o.weightDecay !== 0 ? { wd: s * o.weightDecay } : {};
    if (o.momentum === 0) {
      values.step = -o.lr * s;
    } else {
      // The buffer starts as a copy of d: momentum 0 and no dampening on the first step.
      values.mu = t === 1 ? 0 : o.momentum;
      values.c = t === 1 ? s : s * (1 - o.dampening);
      values.lr = -o.lr;
      values.nd = -o.lr * s;
      values.nm = -o.lr * o.momentum;
    }
    return { values, variant: '' };
  },
  update(g, a, o): { param: Value; state: Record<string, Value> } {
    const d = l2(g, a, o.weightDecay !== 0); // the true d is sign * d
    if (o.momentum === 0) return { param: g.add(a.param, g.mul(d, a.scalars.step)), state: {} };
    const buf = g.add(g.mul(a.state.momentumBuffer, a.scalars.mu), g.mul(d, a.scalars.c));
    const param = o.nesterov
      ? g.sum([a.param, g.mul(d, a.scalars.nd), g.mul(buf, a.scalars.nm)])
      : g.add(a.param, g.mul(buf, a.scalars.lr));
    return { param, state: { momentumBuffer: buf } };
  },
};
