// Element-wise arithmetic with ONNX broadcasting: each input's gradient is summed back to its own shape.
import type { Value } from '@ortrain/graph-builder';
import type { GradContext, GradRule } from '../context';

/** The gradient for input i from a full-size (broadcast) gradient. */
const back = (c: GradContext, i: number, full: Value) => c.reduceTo(full, c.y().shape, c.x(i));

export const elementwiseRules: Record<string, GradRule> = {
  Add: { grad: (c) => [c.needs(0) ? back(c, 0, c.grad) : undefined, c.needs(1) ? back(c, 1, c.grad) : undefined] },

  Sub: { grad: (c) => [c.needs(0) ? back(c, 0, c.grad) : undefined, c.needs(1) ? c.g.neg(back(c, 1, c.grad)) : undefined] },

  Mul: {
    grad: (c) => {
      if (c.node.input![0] === c.node.input![1]) {
        // x * x: both contributions are dy * x (summed by the caller).
        const t = back(c, 0, c.g.mul(c.grad, c.x(0)));
        return [t, t];
      }
      return [
        c.needs(0) ? back(c, 0, c.g.mul(c.grad, c.x(1))) : undefined,
        c.needs(1) ? back(c, 1, c.g.mul(c.grad, c.x(0))) : undefined,
      ];
    },
  },

  Div: {
    grad: (c) => {
      // d/da = dy / b;  d/db = -dy * a / b^2 = -(dy / b) * y
      const dyOverB = c.g.div(c.grad, c.x(1));
      return [
        c.needs(0) ? back(c, 0, dyOverB) : undefined,
        c.needs(1) ? c.g.neg(back(c, 1, c.g.mul(dyOverB, c.y()))) : undefined,
      ];
    },
  },

  Pow: {
    grad: (c) => {
      const { g } = c;
      const a = c.x(0);
      let b = c.x(1);
      if (b.dtype !== a.dtype) b = g.cast(b, a.dtype!);
      let da: Value | undefined;
      if (c.needs(0)) {
        const k = c.table.values(c.node.input![1]);
        if (k && k.length === 1 && typeof k[0] === 'number') {
          // A constant exponent: dy * k * a^(k-1), with the common squares kept to plain products.
          const e = k[0];
          const local = e === 1 ? undefined : e === 2 ? g.mul(a, c.scalar(2, a)) : g.mul(g.pow(a, c.scalar(e - 1, a)), c.scalar(e, a));
          da = back(c, 0, local ? g.mul(c.grad, local) : c.grad);
        } else {
          da = back(c, 0, g.mul(c.grad, g.mul(b, g.pow(a, g.sub(b, 1)))));
        }
      }
      const db = c.needs(1) ? back(c, 1, g.mul(c.grad, g.mul(c.y(), g.log(a)))) : undefined;
      return [da, db];
    },
  },

  Sqrt: { grad: (c) => [c.g.div(c.g.mul(c.grad, 0.5), c.y())] },
  Exp: { grad: (c) => [c.g.mul(c.grad, c.y())] },
  Log: { grad: (c) => [c.g.div(c.grad, c.x(0))] },
  Neg: { grad: (c) => [c.g.neg(c.grad)] },
  Abs: { grad: (c) => [c.g.mul(c.grad, c.g.sign(c.x(0)))] },
  Reciprocal: { grad: (c) => [c.g.neg(c.g.mul(c.grad, c.g.mul(c.y(), c.y())))] },

  Erf: {
    // d erf(x)/dx = 2/sqrt(pi) * exp(-x^2)
    grad: (c) => {
      const x = c.x(0);
      const e = c.g.exp(c.g.mul(c.g.mul(x, x), -1));
      return [c.g.mul(c.grad, c.g.mul(e, 2 / Math.sqrt(Math.PI)))];
    },
  },

  Sum: { grad: (c) => (c.node.input ?? []).map((_, i) => (c.needs(i) ? back(c, i, c.grad) : undefined)) },

  Mean: {
    grad: (c) => {
      const n = (c.node.input ?? []).length;
      const scaled = c.g.mul(c.grad, 1 / n);
      return (c.node.input ?? []).map((_, i) => (c.needs(i) ? back(c, i, scaled) : undefined));
    },
  },

  // Max and Min pass the gradient to the inputs that equal the result; ties share it evenly, as torch does.
  Max: { grad: (c) => extremum(c) },
  Min: { grad: (c) => extremum(c) },

  Where: {
    nondiff: [0],
    grad: (c) => {
      const cond = c.x(0);
      return [
        undefined,
        c.needs(1) ? back(c, 1, c.g.where(cond, c.grad, 0)) : undefined,
        c.needs(2) ? back(c, 2, c.g.where(cond, 0, c.grad)) : undefined,
      ];
    },
  },
};

function extremum(c: GradContext): (Value | undefined)[] {
  const { g } = c;
  const inputs = c.node.input ?? [];
  const y = c.y();
  if (inputs.length === 1) return [c.grad];
  const masks = inputs.map((_, i) => g.cast(g.equal(c.x(i), y), y.dtype!));
  const ties = masks.length === 2 ? g.add(masks[0], masks[1]) : g.sum(masks);
  const share = g.div(c.grad, ties);
  return inputs.map((_, i) => (c.needs(i) ? back(c, i, g.mul(share, masks[i])) : undefined));
}
