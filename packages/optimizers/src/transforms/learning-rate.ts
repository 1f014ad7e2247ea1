import type { Transform } from './transform';

/** The step: minus the learning rate times the update (optax's scale_by_learning_rate). No node. */
export function learningRate<O>(lr: (o: O) => number): Transform<O> {
  return {
    name: 'lr',
    elementwise: true,
    scalars(o, _t, c) {
      c.scales = c.scales.map((s) => -lr(o) * s);
      return {};
    },
  };
}

/** Ascent instead of descent when `maximize` is set (torch's maximize): the gradient's sign. No node. */
export function gradientSign<O>(maximize: (o: O) => boolean): Transform<O> {
  return {
    name: 'sign',
    elementwise: true,
    scalars(o, _t, c) {
      if (maximize(o)) c.gradScale = -c.gradScale;
      return {};
    },
  };
}

/**
 * The learning rate on the gradient, before the rule (LARS's paper form, where the momentum buffer accumulates
 * lr-scaled steps): folded into the gradient scale, no node. Pair it with `learningRate(() => 1)` after.
 */
export function gradientLearningRate<O>(lr: (o: O) => number): Transform<O> {
  return {
    name: 'glr',
    elementwise: true,
    scalars(o, _t, c) {
      c.gradScale *= lr(o);
      return {};
    },
  };
}
