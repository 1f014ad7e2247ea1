import { checkGrad } from './optimizer';
import type { Parameter } from './parameter';

/**
 * torch.nn.utils.clip_grad_norm_ (1.13): scales the gradients of `params` (those that have one) in place so
 * that their total norm (the normType-norm of the per-tensor norms) is at most maxNorm:
 * g *= min(1, maxNorm / (total + 1e-6)). Returns the total norm before clipping. normType is a number > 0
 * or Infinity (the largest magnitude).
 */
export function clipGradNorm(params: readonly Parameter[], maxNorm: number, normType = 2, errorIfNonfinite = false): number {
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm)) throw new RangeError(`clipGradNorm: invalid maxNorm ${String(maxNorm)}`);
  if (typeof normType !== 'number' || !(normType > 0)) throw new RangeError(`clipGradNorm: invalid normType ${String(normType)} (must be > 0 or Infinity)`);
  const grads: Float32Array[] = [];
  for (const p of params) {
    if (p.grad) {
      checkGrad(p, p.grad);
      grads.push(p.grad);
    }
  }
  if (grads.length === 0) return 0;
  const norms = grads.map((g) => norm(g, normType));
  const total = normType === Infinity ? Math.max(...norms) : norm(norms, normType);
  if (errorIfNonfinite && !Number.isFinite(total)) {
    throw new RangeError(`clipGradNorm: the total norm of order ${normType} of the gradients is ${total}; clipping is not possible (errorIfNonfinite)`);
  }
  const coef = Math.fround(Math.min(1, Math.fround(maxNorm / Math.fround(Math.fround(total) + 1e-6))));
  if (coef < 1 || Number.isNaN(coef)) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= coef;
  return Math.fround(total);
}

function norm(x: ArrayLike<number>, p: number): number {
  let acc = 0;
  if (p === Infinity) {
    for (let i = 0; i < x.length; i++) acc = Math.max(acc, Math.abs(x[i]));
    return acc;
  }
  if (p === 2) {
    for (let i = 0; i < x.length; i++) acc += x[i] * x[i];
    return Math.sqrt(acc);
  }
  for (let i = 0; i < x.length; i++) acc += Math.abs(x[i]) ** p;
  return acc ** (1 / p);
}

/** torch.nn.utils.clip_grad_value_: clamps every gradient element to [-clipValue, clipValue] in place. */
export function clipGradValue(params: readonly Parameter[], clipValue: number): void {
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) throw new RangeError(`clipGradValue: invalid clipValue ${String(clipValue)} (must be >= 0)`);
  for (const p of params) {
    if (!p.grad) continue;
    checkGrad(p, p.grad);
    const g = p.grad;
    for (let i = 0; i < g.length; i++) g[i] = Math.min(clipValue, Math.max(-clipValue, g[i]));
  }
}
