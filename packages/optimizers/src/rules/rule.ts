import type { GraphBuilder, Value } from '@ortrain/graph-builder';

/** What a rule computes on the host for one step of one tensor. */
export interface StepScalars {
  /** Coefficients for this step, computed in float64 and fed to the graph as float32 scalar inputs. */
  values: Record<string, number>;
  /** The form of the update when it changes with the step (RAdam's rectification); '' when it never does. */
  variant: string;
  /** Host-side per-parameter state after this step (NAdam's mu product); absent when the rule keeps none. */
  host?: Record<string, number>;
}

/** The graph values a rule updates: one tensor (or, for an element-wise rule, many concatenated). */
export interface UpdateArgs {
  param: Value;
  grad: Value;
  /** Per-element state by name, same shape as `param`. */
  state: Record<string, Value>;
  /** The scalar inputs named by `StepScalars.values`. */
  scalars: Record<string, Value>;
  variant: string;
}

/**
 * An optimizer update rule: a pure graph function `(param, grad, state, scalars) -> (param', state')` for
 * one tensor, the state it keeps and the host-side scalars of step t. Options that change the graph's form
 * (booleans, zero or non-zero weight decay) are in `structure`; every other option only changes scalars, so
 * changing it never rebuilds a session.
 */
export interface Rule<O> {
  /** The algorithm's name, used in error messages ('Adam'). */
  readonly algorithm: string;
  /** True when each output element depends only on the same element of the inputs (no norms). */
  readonly elementwise: boolean;
  /** Default options; an undefined default (SGD's lr) is required. */
  readonly defaults: { [K in keyof O]: O[K] | undefined };
  /** Throws a RangeError naming the first invalid option and its value. */
  validate(o: O): void;
  /** A key of the options that change the graph's form. */
  structure(o: O): string;
  /** Per-element state tensors (torch's names in camelCase) and their initial values. */
  state(o: O): { name: string; init: number }[];
  /** Initial host-side per-parameter state (numbers), when the rule keeps some. */
  hostState?(o: O): Record<string, number>;
  /** Scalars for step `t` (1-based) of a tensor whose host state is `host`. */
  scalars(o: O, t: number, host: Record<string, number>): StepScalars;
  /** Appends the update to `g`. */
  update(g: GraphBuilder, a: UpdateArgs, o: O): { param: Value; state: Record<string, Value> };
}

/** -1 when maximizing (the gradient is negated), 1 otherwise. */
export function sign(maximize: boolean | undefined): number {
  return maximize ? -1 : 1;
}

/**
 * grad + (sign * weightDecay) * param when the rule applies L2 weight decay, else grad: the sign of a
 * maximized gradient is folded into the scalars that use the result, which saves a Neg node.
 */
export function l2(g: GraphBuilder, a: UpdateArgs, on: boolean): Value {
  return on ? g.add(a.grad, g.mul(a.param, a.scalars.wd)) : a.grad;
}

/** beta * x + c * y: an exponential moving average in three nodes. */
export function ema(g: GraphBuilder, x: Value, beta: Value, y: Value, c: Value): Value {
  return g.add(g.mul(x, beta), g.mul(y, c));
}
