// Activations and the softmax family: local derivatives from the input or, where cheaper, the output.
import type { Value } from '@ortrain/graph-builder';
import type { GradContext, GradRule } from '../context';

const SQRT2PI = Math.sqrt(2 * Math.PI);

export const activationRules: Record<string, GradRule> = {
  // A gradient that a MaxPool's rule already masked with (Y > 0) needs no second mask (rules/pool.ts).
  Relu: { grad: (c) => [c.isReluMasked(c.grad) ? c.grad : c.g.where(c.g.greater(c.y(), 0), c.grad, 0)] },

  LeakyRelu: {
    grad: (c) => {
      const alpha = c.attrs.float('alpha', 0.01);
      return [c.g.where(c.g.greater(c.x(0), 0), c.grad, c.g.mul(c.grad, alpha))];
    },
  },

  PRelu: {
    grad: (c) => {
      const { g } = c;
      const x = c.x(0);
      const pos = g.greater(x, 0);
      const dx = c.needs(0) ? g.where(pos, c.grad, g.mul(c.grad, c.x(1))) : undefined;
      const ds = c.needs(1) ? c.reduceTo(g.where(pos, 0, g.mul(c.grad, x)), c.y().shape, c.x(1)) : undefined;
      return [dx, ds];
    },
  },

  Elu: {
    grad: (c) => {
      const alpha = c.attrs.float('alpha', 1);
      const y = c.y();
      return [c.g.where(c.g.greater(c.x(0), 0), c.grad, c.g.mul(c.grad, c.g.add(y, alpha)))];
    },
  },

  Selu: {
    grad: (c) => {
      const alpha = c.attrs.float('alpha', 1.67326319217681884765625);
      const gamma = c.attrs.float('gamma', 1.05070102214813232421875);
      // x > 0: gamma; else gamma * alpha * exp(x) = y + gamma * alpha
      return [c.g.where(c.g.greater(c.x(0), 0), c.g.mul(c.grad, gamma), c.g.mul(c.grad, c.g.add(c.y(), gamma * alpha)))];
    },
  },

  Celu: {
    grad: (c) => {
      const alpha = c.attrs.float('alpha', 1);
      const x = c.x(0);
      return [c.g.where(c.g.greater(x, 0), c.grad, c.g.mul(c.grad, c.g.exp(c.g.mul(x, 1 / alpha))))];
    },
  },

  ThresholdedRelu: { grad: (c) => [c.g.where(c.g.greater(c.x(0), c.attrs.float('alpha', 1)), c.grad, 0)] },

  Mish: {
    // y = x tanh(softplus(x)): dy/dx = t + x sigmoid(x) (1 - t^2), t = tanh(softplus(x))
    grad: (c) => {
      const { g } = c;
      const x = c.x(0);
      const t = g.tanh(g.op('Softplus', [x]));
      const d = g.add(t, g.mul(g.mul(x, g.sigmoid(x)), g.sub(1, g.mul(t, t))));
      return [g.mul(c.grad, d)];
    },
  },

  Sin: { grad: (c) => [c.g.mul(c.grad, c.g.op('Cos', [c.x(0)]))] },
  Cos: { grad: (c) => [c.g.neg(c.g.mul(c.grad, c.g.op('Sin', [c.x(0)])))] },
  Tan: { grad: (c) => [c.g.mul(c.grad, c.g.add(c.g.mul(c.y(), c.y()), 1))] },
  Atan: { grad: (c) => [c.g.div(c.grad, c.g.add(c.g.mul(c.x(0), c.x(0)), 1))] },
  Asin: { grad: (c) => [c.g.div(c.grad, c.g.sqrt(c.g.sub(1, c.g.mul(c.x(0), c.x(0)))))] },
  Acos: { grad: (c) => [c.g.neg(c.g.div(c.grad, c.g.sqrt(c.g.sub(1, c.g.mul(c.x(0), c.x(0))))))] },
  Sinh: { grad: (c) => [c.g.mul(c.grad, c.g.op('Cosh', [c.x(0)]))] },
  Cosh: { grad: (c) => [c.g.mul(c.grad, c.g.op('Sinh', [c.x(0)]))] },

  Sigmoid: {
    grad: (c) => {
      const y = c.y();
      return [c.g.mul(c.grad, c.g.mul(y, c.g.sub(1, y)))];
    },
  },

  Tanh: {
    grad: (c) => {
      const y = c.y();
      return [c.g.mul(c.grad, c.g.sub(1, c.g.mul(y, y)))];
    },
  },

  Softplus: { grad: (c) => [c.g.mul(c.grad, c.g.sigmoid(c.x(0)))] },

  Softsign: {
    // d/dx x/(1+|x|) = 1/(1+|x|)^2
    grad: (c) => {
      const d = c.g.add(c.g.abs(c.x(0)), 1);
      return [c.g.div(c.grad, c.g.mul(d, d))];
    },
  },

  HardSigmoid: {
    // y = clip(alpha*x + beta, 0, 1): slope alpha strictly inside the ramp, as torch's hardsigmoid_backward.
    grad: (c) => {
      const { g } = c;
      const alpha = c.attrs.float('alpha', 0.2);
      const y = c.y();
      const inside = g.and(g.greater(y, 0), g.less(y, 1));
      return [g.where(inside, g.mul(c.grad, alpha), 0)];
    },
  },

  HardSwish: {
    // y = x * clip(x/6 + 1/2, 0, 1): derivative 0 below -3, x/3 + 1/2 on [-3, 3], 1 above 3 (torch's choice at the kinks).
    grad: (c) => {
      const { g } = c;
      const x = c.x(0);
      const ramp = g.add(g.mul(x, 1 / 3), 0.5);
      const d = g.where(g.greater(x, 3), 1, g.where(g.less(x, -3), 0, ramp));
      return [g.mul(c.grad, d)];
    },
  },

  Gelu: {
    grad: (c) => {
      const { g } = c;
      const x = c.x(0);
      if (c.attrs.string('approximate', 'none') === 'tanh') {
        // y = x/2 (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3)
        const k = Math.sqrt(2 / Math.PI);
        const x2 = g.mul(x, x);
        const u = g.mul(g.mul(x, g.add(g.mul(x2, 0.044715), 1)), k);
        const t = g.tanh(u);
        const du = g.mul(g.add(g.mul(x2, 3 * 0.044715), 1), k);
        const d = g.add(g.mul(g.add(t, 1), 0.5), g.mul(g.mul(x, 0.5), g.mul(g.sub(1, g.mul(t, t)), du)));
        return [g.mul(c.grad, d)];
      }
      // y = x Phi(x): dy/dx = Phi(x) + x phi(x)
      const phi = g.mul(g.exp(g.mul(g.mul(x, x), -0.5)), 1 / SQRT2PI);
      const Phi = g.mul(g.add(g.op('Erf', [g.mul(x, Math.SQRT1_2)]), 1), 0.5);
      return [g.mul(c.grad, g.add(Phi, g.mul(x, phi)))];
    },
  },

  Clip: {
    // Gradient where min <= x <= max, as torch's clamp; a bound that is differentiated gets the rest.
    grad: (c) => {
      const { g } = c;
      const x = c.x(0);
      const conds: Value[] = [];
      let lo: Value | undefined, hi: Value | undefined;
      if (c.has(1)) { lo = c.x(1); conds.push(g.greaterOrEqual(x, lo)); }
      else if (c.attrs.has('min')) conds.push(g.greaterOrEqual(x, c.attrs.float('min', 0)));
      if (c.has(2)) { hi = c.x(2); conds.push(g.lessOrEqual(x, hi)); }
      else if (c.attrs.has('max')) conds.push(g.lessOrEqual(x, c.attrs.float('max', 0)));
      if (conds.length === 0) return [c.grad];
      const inside = conds.length === 2 ? g.and(conds[0], conds[1]) : conds[0];
      const dx = c.needs(0) ? g.where(inside, c.grad, 0) : undefined;
      const scalarSum = (v: Value, bound: Value) => c.reduceTo(v, x.shape, bound);
      const dlo = c.needs(1) && lo ? scalarSum(g.where(g.less(x, lo), c.grad, 0), lo) : undefined;
      const dhi = c.needs(2) && hi ? scalarSum(g.where(g.greater(x, hi), c.grad, 0), hi) : undefined;
      return [dx, dlo, dhi];
    },
  },

  Softmax: {
    // dx = y * (dy - sum(dy * y, axis))
    grad: (c) => {
      const { g } = c;
      const y = c.y();
      const axis = softmaxAxis(c);
      const s = c.reduceSum(g.mul(c.grad, y), [axis], true);
      return [g.mul(y, g.sub(c.grad, s))];
    },
  },

  LogSoftmax: {
    // dx = dy - exp(y) * sum(dy, axis)
    grad: (c) => {
      const { g } = c;
      const axis = softmaxAxis(c);
      const s = c.reduceSum(c.grad, [axis], true);
      return [g.sub(c.grad, g.mul(g.exp(c.y()), s))];
    },
  },
};

/** Softmax's axis (opset 13 semantics: older models are upgraded on import). */
function softmaxAxis(c: GradContext): number {
  return c.axis(c.attrs.int('axis', -1), c.rank(c.x(0)));
}
