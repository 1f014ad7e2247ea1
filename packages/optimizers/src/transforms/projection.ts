import type { Transform } from './transform';

/**
 * AdamP's projection (Heo et al., as holocron's code): where the cosine of the parameter and the gradient (after
 * L2 decay; torch's cosine_similarity with eps 1e-8) is below delta / sqrt(numel), the update loses its component
 * along the parameter: u - <p^, u> p^ with p^ = p / (||p|| + eps). Linear in the update, so the update's
 * coefficients pass through. Per tensor, on the group's flat buffer.
 */
export function projection<O>(delta: (o: O) => number, eps: (o: O) => number): Transform<O> {
  return {
    name: 'proj',
    elementwise: false,
    scalars: (o) => ({ delta: delta(o), eps: eps(o), eps2: eps(o) ** 2 }),
    update(g, terms, a) {
      const s = a.scalars;
      const seg = a.segments;
      const p = a.param;
      const gr = a.ruleGrad;
      const pp = seg.sum(g.mul(p, p));
      const gg = seg.sum(g.mul(gr, gr));
      const cos = g.div(seg.sum(g.mul(p, gr)), g.sqrt(g.max(g.mul(pp, gg), s.eps2)));
      const project = g.cast(g.less(cos, g.div(s.delta, g.sqrt(seg.sizes()))), 'float32');
      const unit = seg.scale(p, g.reciprocal(g.add(g.sqrt(pp), s.eps)));
      return {
        terms: terms.map((t) => {
          const along = g.mul(seg.sum(g.mul(unit, t.value)), project);
          return { value: g.sub(t.value, seg.scale(unit, along)), perTensor: t.perTensor };
        }),
      };
    },
  };
}
