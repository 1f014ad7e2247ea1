import type { Transform } from './transform';

type Get<O> = (o: O) => number;

/**
 * L2 weight decay, before the rule: g + weightDecay * p. With a gradient scale (the sign when maximizing) the
 * graph computes g + (weightDecay / gradScale) * p, whose true value is gradScale times that.
 */
export function l2Decay<O>(weightDecay: Get<O>): Transform<O> {
  return {
    name: 'l2',
    elementwise: true,
    structure: (o) => `l2${+(weightDecay(o) !== 0)}`,
    scalars: (o, _t, c): Record<string, number> => (weightDecay(o) !== 0 ? { wd: weightDecay(o) / c.gradScale } : {}),
    gradient: (g, grad, a, o) => ({ grad: weightDecay(o) !== 0 ? g.add(grad, g.mul(a.param, a.scalars.wd)) : grad }),
  };
}

/** Decoupled weight decay as torch's AdamW, after the learning rate: p * (1 - lr * weightDecay) + update. */
export function decoupledDecay<O>(lr: Get<O>, weightDecay: Get<O>): Transform<O> {
  return {
    name: 'decay',
    elementwise: true,
    structure: (o) => `dd${+(weightDecay(o) !== 0)}`,
    scalars(o, _t, c) {
      if (weightDecay(o) !== 0) {
        c.paramScale *= 1 - lr(o) * weightDecay(o);
        c.paramScaled = true;
      }
      return {};
    },
  };
}

/** Adan's proximal decay, after the learning rate: (p + update) / (1 + lr * weightDecay). */
export function proximalDecay<O>(lr: Get<O>, weightDecay: Get<O>): Transform<O> {
  return {
    name: 'prox',
    elementwise: true,
    structure: (o) => `px${+(weightDecay(o) !== 0)}`,
    scalars(o, _t, c) {
      if (weightDecay(o) !== 0) {
        const k = 1 / (1 + lr(o) * weightDecay(o));
        c.paramScale *= k;
        c.scales = c.scales.map((s) => s * k);
        c.paramScaled = true;
      }
      return {};
    },
  };
}

/** Weight decay added to the update (before a trust ratio, as LAMB): update + weightDecay * p. */
export function updateDecay<O>(weightDecay: Get<O>): Transform<O> {
  return {
    name: 'ud',
    elementwise: true,
    structure: (o) => `ud${+(weightDecay(o) !== 0)}`,
    scalars(o, _t, c) {
      if (weightDecay(o) !== 0) c.scales = [...c.scales, weightDecay(o)];
      return {};
    },
    update: (_g, terms, a, o) => ({ terms: weightDecay(o) !== 0 ? [...terms, { value: a.param }] : terms }),
  };
}
