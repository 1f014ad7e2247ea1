import type { GraphBuilder, Value } from '@ortrain/graph-builder';
import type { Segments } from '../segments';
import type { StateSpec } from '../state-spec';

/** What a rule computes on the host for step t of one tensor (float64; fed to the graph as float32 scalars). */
export interface RuleScalars {
  /** Scalar inputs of the rule's graph, by name. */
  values: Record<string, number>;
  /** The direction is the sum of scales[i] * terms[i]: the transforms after the rule fold into these. */
  scales: number[];
  /**
   * Per term, names of `values` the term is linear in (NAdam's km and kg): its final coefficient is then
   * multiplied into those scalars on the host instead of costing a Mul node.
   */
  foldInto?: (readonly string[] | undefined)[];
  /** The form of the graph when it changes with the step (RAdam's rectification); '' or absent when it never does. */
  variant?: string;
  /** Host-side per-tensor numbers after this step (NAdam's mu product); absent when the rule keeps none. */
  host?: Record<string, number>;
}

/**
 * The graph values one update reads: one tensor, or a whole group's tensors end to end (see `segments`).
 * An algorithm's `update` reads the gradient as the optimizer received it and every state and scalar input
 * (a transform's named `transform.name`); the rule's `direction` reads the gradient after the transforms
 * before it (weight decay as L2; its true value is gradScale times it) and only the rule's own state and scalars.
 */
export interface UpdateArgs {
  param: Value;
  grad: Value;
  /** State by name: per element (the shape of `param`) or per tensor (one value per segment). */
  state: Record<string, Value>;
  /** The scalar inputs named by the step's scalars (`RuleScalars.values`, `StepScalars.values`). */
  scalars: Record<string, Value>;
  /** The graph's form when it changes with the step (RAdam's rectification); '' when it never does. */
  variant: string;
  /** Per-tensor reductions and broadcasts over `param`'s tensors. */
  segments: Segments;
}

/**
 * An update rule: from the gradient and its state, the update direction of one step, as a sum of terms whose
 * host-side coefficients (`RuleScalars.scales`) absorb everything scalar that comes after (the learning rate,
 * bias corrections), so that `p + coefficient * direction` costs two nodes. The parameter moves by minus the
 * learning rate times the direction. Weight decay, the trust ratio and the learning rate are transforms
 * composed around a rule (see `./algorithm`), as optax's scale_by_adam, scale_by_trust_ratio and
 * scale_by_learning_rate.
 *
 * The gradient reaches the rule as `gradScale * grad` (-1 when maximizing, for instance): a rule folds
 * gradScale into the coefficients that multiply the gradient, which saves a node.
 */
export interface Rule<O> {
  /** A short name for graph scopes ('adam'). */
  readonly name: string;
  /** True when each output element depends only on the same element of the inputs (no per-tensor reduction). */
  readonly elementwise: boolean;
  /** A key of the options that change the graph's form. */
  structure(o: O): string;
  /** The state the rule keeps and how it starts. */
  state(o: O): StateSpec[];
  /** Initial host-side per-tensor numbers, when the rule keeps some. */
  hostState?(o: O): Record<string, number>;
  /** Scalars of step `t` (1-based) of a tensor whose host state is `host`. */
  scalars(o: O, t: number, host: Record<string, number>, gradScale: number): RuleScalars;
  /** Appends the direction to `g`: its terms (as many as `scales`) and the new state. */
  direction(g: GraphBuilder, a: UpdateArgs, o: O): { terms: Value[]; state: Record<string, Value> };
}

/** beta * x + c * y: an exponential moving average in three nodes. */
export function ema(g: GraphBuilder, x: Value, beta: Value, y: Value, c: Value): Value {
  return g.add(g.mul(x, beta), g.mul(y, c));
}
