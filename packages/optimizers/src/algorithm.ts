import type { GraphBuilder, Value } from '@ortrain/graph-builder';
import type { Rule, UpdateArgs } from './rules/rule';
import type { StateSpec } from './state-spec';
import { Coefficients, Term, Transform, scaleTerm } from './transforms/transform';

/** What an algorithm computes on the host for one step of one tensor. */
export interface StepScalars {
  /** Scalar inputs of the step's graph (float64 here, float32 in the graph). */
  values: Record<string, number>;
  /** The graph's form when it changes with the step (RAdam's rectification); '' when it never does. */
  variant: string;
  /** Host-side per-tensor numbers after this step; absent when none are kept. */
  host?: Record<string, number>;
}

/**
 * An optimizer algorithm: a rule with the transforms before it (on the gradient) and after it (on the
 * update), compiled as `(param, grad, state, scalars) -> (param', state')` over one tensor or a whole group.
 * Make one with `algorithm({ ... })`.
 */
export interface Algorithm<O> {
  /** The optimizer's name ('Adam'), as in error messages and configs. */
  readonly name: string;
  /** True when no part of it reduces per tensor (large groups may then run in chunks). */
  readonly elementwise: boolean;
  /** Default options; an undefined default (SGD's lr) is required. */
  readonly defaults: { [K in keyof O]: O[K] | undefined };
  /** Throws a RangeError naming the first invalid option and its value. */
  validate(o: O): void;
  /** A key of the options that change the graph's form; other options only change scalars. */
  structure(o: O): string;
  state(o: O): StateSpec[];
  hostState(o: O): Record<string, number>;
  scalars(o: O, t: number, host: Record<string, number>): StepScalars;
  update(g: GraphBuilder, a: UpdateArgs, o: O): { param: Value; state: Record<string, Value> };
}

export interface AlgorithmSpec<O> {
  name: string;
  defaults: { [K in keyof O]: O[K] | undefined };
  validate(o: O): void;
  /** Transforms of the gradient, in order (the sign, L2 weight decay, a trust ratio on the gradient). */
  before?: Transform<O>[];
  rule: Rule<O>;
  /** Transforms of the update, in order (decay into the update, a trust ratio, the learning rate, decoupled decay). */
  after?: Transform<O>[];
  /** Extra graph-form key (options the rule and transforms do not cover). */
  structure?(o: O): string;
}

/** The scalar input name of the final coefficient of term i. */
const stepName = (i: number) => (i === 0 ? 'step' : `step${i}`);

/**
 * Composes a rule with its transforms: `param' = paramScale * param + sum(step_i * term_i)`, where every
 * scalar factor (learning rate, bias corrections, the sign) is folded into the host-side `step_i`, so the
 * composition adds no node over a hand-written update.
 */
export function algorithm<O>(spec: AlgorithmSpec<O>): Algorithm<O> {
  const before = spec.before ?? [];
  const after = spec.after ?? [];
  const transforms = [...before, ...after];
  const names = transforms.map((t) => t.name);
  if (new Set(names).size !== names.length) throw new Error(`${spec.name}: transforms must have distinct names (${names.join(', ')})`);
  const own = (t: Transform<O>, record: Record<string, Value>): Record<string, Value> => {
    const prefix = `${t.name}.`;
    const out: Record<string, Value> = {};
    for (const k in record) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = record[k];
    return out;
  };
  return {
    name: spec.name,
    elementwise: spec.rule.elementwise && transforms.every((t) => t.elementwise),
    defaults: spec.defaults,
    validate: (o) => spec.validate(o),
    structure: (o) => [spec.rule.structure(o), ...transforms.map((t) => t.structure?.(o) ?? ''), spec.structure?.(o) ?? ''].join('|'),
    state: (o) => [
      ...spec.rule.state(o),
      ...transforms.flatMap((t) => (t.state?.(o) ?? []).map((s) => ({ ...s, name: `${t.name}.${s.name}` }))),
    ],
    hostState: (o) => spec.rule.hostState?.(o) ?? {},
    scalars(o, t, host) {
      const c: Coefficients = { gradScale: 1, scales: [], paramScale: 1, paramScaled: false };
      const values: Record<string, number> = {};
      const add = (tr: Transform<O>) => {
        const v = tr.scalars(o, t, c);
        for (const k in v) values[`${tr.name}.${k}`] = v[k];
      };
      before.forEach(add);
      const r = spec.rule.scalars(o, t, host, c.gradScale);
      Object.assign(values, r.values);
      c.scales = [...r.scales];
      c.foldInto = r.foldInto;
      after.forEach(add);
      c.scales.forEach((s, i) => {
        const fold = c.foldInto?.[i];
        if (fold) for (const n of fold) values[n] *= s;
        else values[stepName(i)] = s;
      });
      if (c.paramScaled) values.decay = c.paramScale;
      return { values, variant: r.variant ?? '', host: r.host };
    },
    update(g, a, o) {
      const state: Record<string, Value> = {};
      let grad = a.grad;
      const args = (tr: Transform<O>) => ({ param: a.param, grad: a.grad, ruleGrad: grad, state: own(tr, a.state), scalars: own(tr, a.scalars), segments: a.segments });
      const keep = (tr: Transform<O>, s: Record<string, Value> | undefined) => { for (const k in s) state[`${tr.name}.${k}`] = s[k]; };
      for (const tr of before) {
        if (!tr.gradient) continue;
        const r = tr.gradient(g, grad, args(tr), o);
        grad = r.grad;
        keep(tr, r.state);
      }
      const ruleScalars: Record<string, Value> = {};
      for (const k in a.scalars) if (!k.includes('.')) ruleScalars[k] = a.scalars[k];
      const ruleState: Record<string, Value> = {};
      for (const k in a.state) if (!k.includes('.')) ruleState[k] = a.state[k];
      const d = spec.rule.direction(g, { param: a.param, grad, state: ruleState, scalars: ruleScalars, variant: a.variant, segments: a.segments }, o);
      Object.assign(state, d.state);
      let terms: Term[] = d.terms.map((value) => ({ value }));
      for (const tr of after) {
        if (!tr.update) continue;
        const r = tr.update(g, terms, args(tr), o);
        terms = r.terms;
        keep(tr, r.state);
      }
      const base = a.scalars.decay ? g.mul(a.param, a.scalars.decay) : a.param;
      // A term without its step scalar had its coefficient folded into the rule's scalars.
      const parts = terms.map((t, i) => {
        const k = a.scalars[stepName(i)];
        if (k) return scaleTerm(g, t, k, a.segments);
        return t.perTensor ? a.segments.scale(t.value, t.perTensor) : t.value;
      });
      const param = parts.length === 1 ? g.add(base, parts[0]) : g.sum([base, ...parts]);
      return { param, state };
    },
  };
}
