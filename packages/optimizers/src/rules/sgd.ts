import type { Value } from '@ortrain/graph-builder';
import { algorithm } from '../algorithm';
import { checkBool, checkKnown, checkNumber } from '../options';
import { gradientSign, learningRate } from '../transforms/learning-rate';
import { l2Decay } from '../transforms/weight-decay';
import type { Rule } from './rule';

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/** What SGD's momentum reads of an algorithm's options. */
export interface MomentumLike {
  momentum: number;
  dampening: number;
  nesterov: boolean;
}

/**
 * torch's SGD momentum as a direction: d without momentum; with it the buffer starts as d and then is
 * momentum * buf + (1 - dampening) * d, and the direction is buf, or d + momentum * buf with nesterov.
 */
export function sgdMomentum<O extends MomentumLike>(): Rule<O> {
  return {
    name: 'sgd',
    elementwise: true,
    structure: (o) => `m${+(o.momentum !== 0)}n${+o.nesterov}`,
    state: (o) => (o.momentum !== 0 ? [{ name: 'momentumBuffer', init: 0 }] : []),
    scalars(o, t, _host, gs) {
      if (o.momentum === 0) return { values: {}, scales: [gs] };
      // The buffer starts as a copy of d: momentum 0 and no dampening on the first step.
      const values = { mu: t === 1 ? 0 : o.momentum, c: t === 1 ? gs : gs * (1 - o.dampening) };
      return { values, scales: o.nesterov ? [gs, o.momentum] : [1] };
    },
    direction(g, a, o) {
      if (o.momentum === 0) return { terms: [a.grad], state: {} as Record<string, Value> };
      const buf = g.add(g.mul(a.state.momentumBuffer, a.scalars.mu), g.mul(a.grad, a.scalars.c));
      return { terms: o.nesterov ? [a.grad, buf] : [buf], state: { momentumBuffer: buf } };
    },
  };
}

/** torch.optim.SGD (1.13): L2 weight decay, momentum with dampening, nesterov, maximize; p -= lr * d. */
export const sgd = algorithm<SGDOptions>({
  name: 'SGD',
  defaults: { lr: undefined, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false },
  validate(o) {
    checkKnown('SGD', o, Object.keys(sgd.defaults));
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
  before: [gradientSign((o) => o.maximize), l2Decay((o) => o.weightDecay)],
  rule: sgdMomentum(),
  after: [learningRate((o) => o.lr)],
});
