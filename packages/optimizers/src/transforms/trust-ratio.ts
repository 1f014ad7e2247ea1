import type { GraphBuilder, Value } from '@ortrain/graph-builder';
import { Coefficients, Term, Transform, TransformArgs, scaleTerm } from './transform';

export interface TrustRatioSpec<O> {
  /** Its name in the algorithm (default 'trust'; two trust ratios need two names). */
  name?: string;
  /**
   * What the weight norm is divided by: 'update', the norm of the update so far (LAMB, RaLars), or
   * 'gradient', the norm of the gradient plus weightDecay times the weight norm plus eps (LARS).
   */
  measure: 'update' | 'gradient';
  /** Bounds of the weight norm (holocron's scale_clip); none when absent. */
  scaleClip?: (o: O) => readonly [number, number] | undefined;
  /** Multiplies the ratio (LARS's trust coefficient; 1 when absent). */
  trustCoefficient?: (o: O) => number;
  eps?: (o: O) => number;
  weightDecay?: (o: O) => number;
  /** When false for the options, the ratio is 1 (quadra's LARS scales only with weight decay). */
  enabled?: (o: O) => boolean;
}

/**
 * The layer-wise trust ratio (optax's scale_by_trust_ratio): each tensor's step is multiplied by
 * trustCoefficient * clip(||p||) / norm, and by 1 where the weight norm or the measured norm is 0. Before a rule
 * it scales the gradient (quadra's LARS); after it, the update (LAMB, holocron's LARS). Norms are per tensor on
 * the group's flat buffer (see Segments).
 */
export function trustRatio<O>(spec: TrustRatioSpec<O>): Transform<O> {
  const on = (o: O) => spec.enabled?.(o) ?? true;
  const decay = (o: O) => spec.weightDecay?.(o) ?? 0;
  const ratio = (g: GraphBuilder, a: TransformArgs, measured: Value, o: O, relative = false): Value => {
    const s = a.scalars;
    const pn = a.segments.norm(a.param);
    const phi = spec.scaleClip?.(o) ? g.clip(pn, s.lo, s.hi) : pn;
    let den = measured;
    if (spec.measure === 'gradient') {
      if (decay(o) !== 0) den = g.add(den, g.mul(pn, s.wd));
      if (spec.eps) den = g.add(den, s.eps);
    }
    let num = spec.trustCoefficient ? g.mul(phi, s.tc) : phi;
    if (relative) num = g.mul(num, s.sg);
    const zero = g.constant(0);
    const valid = g.and(g.greater(phi, zero), g.greater(measured, zero));
    // Where the ratio is 1, a relative update (see scalars) still needs its scale k0.
    return g.where(valid, g.div(num, den), relative ? s.k0 : g.constant(1));
  };
  return {
    name: spec.name ?? 'trust',
    elementwise: false,
    structure: (o) => `tr${+on(o)}${spec.scaleClip?.(o) ? 'c' : ''}${spec.measure === 'gradient' && decay(o) !== 0 ? 'w' : ''}`,
    scalars(o, _t, c: Coefficients) {
      const values: Record<string, number> = {};
      if (!on(o)) return values;
      const clip = spec.scaleClip?.(o);
      if (clip) { values.lo = clip[0]; values.hi = clip[1]; }
      if (spec.trustCoefficient) values.tc = spec.trustCoefficient(o);
      if (spec.eps) values.eps = spec.eps(o);
      if (spec.measure === 'gradient' && decay(o) !== 0) values.wd = decay(o);
      if (spec.measure === 'update') {
        // The ratio makes the update's scale cancel: u = k0 (t0 + sum_i (k_i / k0) t_i), and
        // ratio * u = phi / ||u'|| * sign(k0) * u' for u' the bracket. k0 itself only serves where the ratio is 1.
        const [k0, ...rest] = c.scales;
        rest.forEach((k, i) => { values[`r${i + 1}`] = k / k0; });
        values.k0 = k0;
        values.sg = Math.sign(k0);
        c.scales = [1];
        c.foldInto = undefined;
      }
      return values;
    },
    gradient(g, grad, a, o) {
      if (!on(o)) return { grad };
      if (spec.measure !== 'gradient') throw new Error("trustRatio before a rule measures the 'gradient'");
      return { grad: a.segments.scale(grad, ratio(g, a, a.segments.norm(a.grad), o)) };
    },
    update(g, terms, a, o) {
      if (!on(o)) return { terms };
      if (spec.measure === 'gradient') {
        const r = ratio(g, a, a.segments.norm(a.grad), o);
        return { terms: terms.map((t): Term => ({ value: t.value, perTensor: t.perTensor ? g.mul(t.perTensor, r) : r })) };
      }
      const s = a.scalars;
      const u = g.sum([terms[0].perTensor ? a.segments.scale(terms[0].value, terms[0].perTensor) : terms[0].value,
        ...terms.slice(1).map((t, i) => scaleTerm(g, t, s[`r${i + 1}`], a.segments))]);
      return { terms: [{ value: u, perTensor: ratio(g, a, a.segments.norm(u), o, true) }] };
    },
  };
}
