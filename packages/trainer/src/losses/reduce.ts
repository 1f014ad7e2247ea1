import type { GraphBuilder, Value } from '@ortrain/graph-builder';
import type { Reduction } from './types';

/** The scalar of per-element losses: ReduceMean or ReduceSum over every axis. */
export function reduceAll(g: GraphBuilder, perElement: Value, reduction: Reduction): Value {
  return reduction === 'mean' ? g.reduceMean(perElement) : g.reduceSum(perElement);
}
