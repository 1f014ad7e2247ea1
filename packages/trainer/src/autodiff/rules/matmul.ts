// Matrix products: MatMul (batched, broadcasting, 1-D operands) and Gemm.
import { floatAttr } from '@ortrain/graph-builder';
import type { Dim, Value } from '@ortrain/graph-builder';
import type { GradContext, GradRule } from '../context';

/** Swaps the last two axes. */
function swapLast(c: GradContext, v: Value): Value {
  const r = c.rank(v);
  const perm = [...Array(r - 2).keys(), r - 1, r - 2];
  return c.g.transpose(v, perm);
}

function matmulGrad(c: GradContext): (Value | undefined)[] {
  const { g } = c;
  const a = c.x(0), b = c.x(1);
  const ra = c.rank(a), rb = c.rank(b);
  const dy = c.grad;
  const yShape = c.y().shape;
  let da: Value | undefined;
  let db: Value | undefined;

  if (ra >= 2 && rb === 2) {
    // The common layer: activations [..., M, K] times a weight [K, N]. The batch folds into rows.
    if (c.needs(0)) da = ra === 2 ? g.op('Gemm', [dy, b], { transB: 1 }) : g.matmul(dy, g.transpose(b, [1, 0]));
    if (c.needs(1)) {
      const [K, N] = b.shape!;
      const flat = (v: Value, cols: Dim) => (ra === 2 ? v : g.reshape(v, typeof cols === 'number' ? [-1, cols] : g.concat([g.ints([-1]), c.shapeSlice(v, -1)], 0)));
      db = g.op('Gemm', [flat(a, K), flat(dy, N)], { transA: 1 });
    }
    return [da, db];
  }

  // General case: promote 1-D operands to matrices, multiply, then sum the broadcast batch away.
  let dy2 = dy;
  let yShape2: Dim[] | undefined = yShape ? [...yShape] : undefined;
  if (ra === 1 && rb === 1) {
    dy2 = g.reshape(dy, [1, 1]);
    yShape2 = [1, 1];
  } else if (ra === 1) {
    dy2 = g.unsqueeze(dy, [-2]);
    yShape2?.splice(yShape2.length - 1, 0, 1);
  } else if (rb === 1) {
    dy2 = g.unsqueeze(dy, [-1]);
    yShape2?.push(1);
  }
  const a2 = ra === 1 ? g.unsqueeze(a, [0]) : a;
  const b2 = rb === 1 ? g.unsqueeze(b, [1]) : b;
  const batch = yShape2?.slice(0, -2);
  if (c.needs(0)) {
    const full = g.matmul(dy2, rb === 1 ? g.transpose(b2, [1, 0]) : swapLast(c, b2));
    const k = a.shape![a.shape!.length - 1];
    da = c.reduceTo(full, batch && [...batch, ra === 1 ? 1 : a.shape![ra - 2], k], a);
  }
  if (c.needs(1)) {
    const full = g.matmul(ra === 1 ? g.transpose(a2, [1, 0]) : swapLast(c, a2), dy2);
    if (rb === 1) {
      // [..., K, 1] -> [..., K]
      const squeezed = g.squeeze(full, [-1]);
      db = c.reduceTo(squeezed, batch && [...batch, b.shape![0]], b);
    } else {
      db = c.reduceTo(full, batch && [...batch, b.shape![rb - 2], b.shape![rb - 1]], b);
    }
  }
  return [da, db];
}

function gemmGrad(c: GradContext): (Value | undefined)[] {
  const { g } = c;
  const alpha = c.attrs.float('alpha', 1);
  const beta = c.attrs.float('beta', 1);
  const transA = c.attrs.int('transA', 0) === 1;
  const transB = c.attrs.int('transB', 0) === 1;
  const a = c.x(0), b = c.x(1);
  const dy = c.grad;
  const al = alpha === 1 ? undefined : floatAttr(alpha);
  let da: Value | undefined, db: Value | undefined, dc: Value | undefined;
  // Y = alpha * A' B' + beta * C with A' = A or A^T, B' = B or B^T.
  if (c.needs(0)) {
    da = transA
      ? g.op('Gemm', [b, dy], { alpha: al, transA: transB ? 1 : 0, transB: 1 }) // (dY B'^T)^T = B' dY^T
      : g.op('Gemm', [dy, b], { alpha: al, transB: transB ? 0 : 1 }); //         dY B'^T
  }
  if (c.needs(1)) {
    db = transB
      ? g.op('Gemm', [dy, a], { alpha: al, transA: 1, transB: transA ? 1 : 0 }) // (A'^T dY)^T = dY^T A'
      : g.op('Gemm', [a, dy], { alpha: al, transA: transA ? 0 : 1 }); //            A'^T dY
  }
  if (c.has(2) && c.needs(2)) {
    const full = beta === 1 ? dy : g.mul(dy, beta);
    dc = c.reduceTo(full, c.y().shape, c.x(2));
  }
  return [da, db, dc];
}

export const matmulRules: Record<string, GradRule> = {
  MatMul: { grad: matmulGrad },
  Gemm: { grad: gemmGrad },
};
