import type { GraphBuilder, Value } from '@ortrain/graph-builder';

/**
 * SAM's ascent step as graph values, over any list of tensors (per parameter, or a group's flat buffer):
 * the norm is global over the whole list, as quadra's `_grad_norm` (the L2 norm of the per-tensor norms of
 * g, or of |w| * g in the adaptive form), scale = rho / (norm + 1e-12), e = g * scale (w^2 * g * scale
 * adaptive), and the perturbed point w + e. `rho` is a scalar graph value so that editing it never rebuilds.
 */
export function samPerturbation(g: GraphBuilder, ws: readonly Value[], gs: readonly Value[], rho: Value, adaptive: boolean): { perturbed: Value[]; e: Value[] } {
  const scaled = gs.map((grad, i) => (adaptive ? g.mul(g.abs(ws[i]), grad) : grad));
  const norm = g.sqrt(g.sum(scaled.map((x) => g.reduceSumSquare(x))));
  const scale = g.div(rho, g.add(norm, 1e-12));
  // Adaptive: w^2 * g * scale = |w| * (|w| * g) * scale, reusing |w| * g.
  const e = gs.map((grad, i) => g.mul(adaptive ? g.mul(g.abs(ws[i]), scaled[i]) : grad, scale));
  return { perturbed: ws.map((w, i) => g.add(w, e[i])), e };
}
