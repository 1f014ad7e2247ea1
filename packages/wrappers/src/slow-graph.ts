import type { GraphBuilder, Value } from '@ortrain/graph-builder';

/** Lookahead's outer update: slow + rate * (fast - slow), which the fast weights then take too. */
export function syncSlow(g: GraphBuilder, fast: Value, slow: Value, rate: Value): Value {
  return g.add(slow, g.mul(g.sub(fast, slow), rate));
}

/** Per-element statistics of the fast updates since the last sync (Scout): Welford's mean and M2, max, min. */
export interface UpdateStats {
  mean: Value;
  m2: Value;
  max: Value;
  min: Value;
}

export const STAT_NAMES = ['mean', 'm2', 'max', 'min'] as const;

/**
 * Adds the update u (fast weights after a step minus before it) to the statistics: Welford's running mean
 * and sum of squared deviations (two-pass accuracy, no buffer of every update), and the running max and min.
 * `invK` is 1/k for the k-th update since the last sync; `fresh` (bool scalar) is true at k = 1, where the
 * previous statistics are ignored, so a sync never has to write reset values.
 */
export function addUpdate(g: GraphBuilder, u: Value, s: UpdateStats, invK: Value, fresh: Value): UpdateStats {
  // Where rather than a multiplication by 0 or 1: stale values never leak in, whatever they hold.
  const mean0 = g.where(fresh, 0, s.mean);
  const delta = g.sub(u, mean0);
  const mean = g.add(mean0, g.mul(delta, invK));
  const m2 = g.add(g.where(fresh, 0, s.m2), g.mul(delta, g.sub(u, mean)));
  return { mean, m2, max: g.max(g.where(fresh, u, s.max), u), min: g.min(g.where(fresh, u, s.min), u) };
}

/**
 * Per element, std / max |u - mean| of the updates since the last sync (holocron's Scout similarity, with
 * the unbiased std, `invNm1` = 1/(k - 1), fed as 0 when k = 1). Where the updates do not vary at all
 * (max deviation 0: constant updates, or a single one) the similarity is taken as 0 instead of holocron's
 * 0/0 = NaN.
 */
export function similarity(g: GraphBuilder, s: UpdateStats, invNm1: Value): Value {
  const std = g.sqrt(g.mul(s.m2, invNm1));
  const dev = g.max(g.sub(s.max, s.mean), g.sub(s.mean, s.min));
  const positive = g.greater(dev, 0);
  // The divisor is made 1 where dev is 0 so that no NaN is ever computed, even in the branch not taken.
  return g.where(positive, g.div(std, g.where(positive, dev, 1)), 0);
}

/**
 * Scout's sync rate: coherence = mean over tensors of each tensor's mean similarity (`tensors` lists each
 * tensor as a slice [offset, offset + size) of one of the `similarities` values), rate = max(1 - coherence,
 * syncRate).
 */
export function scoutRate(g: GraphBuilder, similarities: readonly Value[], tensors: readonly { value: number; offset: number; size: number; whole: boolean }[], syncRate: Value): Value {
  const means = tensors.map((t) => {
    const x = similarities[t.value];
    return g.reduceMean(t.whole ? x : g.slice(x, [t.offset], [t.offset + t.size], [0]));
  });
  const coherence = g.mul(g.sum(means), 1 / tensors.length);
  return g.max(g.sub(g.constant(1), coherence), syncRate);
}
