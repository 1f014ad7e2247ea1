import type { GraphBuilder, Value } from '@ortrain/graph-builder';
import type { Segments } from '../segments';
import type { StateSpec } from '../state-spec';

/**
 * The host-side coefficients of one step as they flow through an algorithm: the true gradient is
 * `gradScale * grad`, the update is `sum(scales[i] * terms[i])`, and the new parameter is
 * `paramScale * param + update`. Transforms that only scale (the learning rate, the sign) change these and add
 * no node.
 */
export interface Coefficients {
  gradScale: number;
  scales: number[];
  paramScale: number;
  /** True once a transform scales the parameter (structurally: whenever its option is on). */
  paramScaled: boolean;
  /** Per term, the rule's scalars its coefficient may fold into (see RuleScalars.foldInto); cleared by a transform that combines terms. */
  foldInto?: (readonly string[] | undefined)[];
}

/** A term of the update: a value, times a per-tensor factor ([count], see Segments) when given. */
export interface Term {
  value: Value;
  perTensor?: Value;
}

export interface TransformArgs {
  param: Value;
  /** The gradient as the optimizer received it. */
  grad: Value;
  /** The gradient as the rule reads it (after the transforms before the rule: L2 decay, ...). */
  ruleGrad: Value;
  /** The transform's own state. */
  state: Record<string, Value>;
  /** The transform's own scalars (named as its `scalars` returned them). */
  scalars: Record<string, Value>;
  segments: Segments;
}

/**
 * A step of an algorithm before or after its rule. Before the rule it rewrites the gradient (`gradient`: L2
 * weight decay, a trust ratio on the gradient); after it, the update (`update`: decay added to the update, a
 * trust ratio) or only the coefficients (the learning rate, decoupled weight decay).
 */
export interface Transform<O> {
  /** Unique within an algorithm: prefixes its scalar and state names. */
  readonly name: string;
  /** False when it reduces per tensor (norms). */
  readonly elementwise: boolean;
  structure?(o: O): string;
  state?(o: O): StateSpec[];
  /** Host side of step t: edits `c` and returns the transform's scalar inputs. */
  scalars(o: O, t: number, c: Coefficients): Record<string, number>;
  gradient?(g: GraphBuilder, grad: Value, a: TransformArgs, o: O): { grad: Value; state?: Record<string, Value> };
  update?(g: GraphBuilder, terms: Term[], a: TransformArgs, o: O): { terms: Term[]; state?: Record<string, Value> };
}

/** term * k, the per-tensor factor folded into k first (a [count] product) so the big tensor is multiplied once. */
export function scaleTerm(g: GraphBuilder, t: Term, k: Value, segments: Segments): Value {
  if (!t.perTensor) return g.mul(t.value, k);
  return segments.scale(t.value, g.mul(t.perTensor, k));
}
