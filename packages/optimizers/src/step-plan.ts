import type { Algorithm, StepScalars } from './algorithm';
import { StepPlan, TensorSlot, isFlat } from './compile';

/** Everything a step of a group needs from the host: the plan, its scalars, and the gradients to feed. */
export interface HostStep {
  plan: StepPlan;
  /** Per scalar set, its values. */
  scalars: StepScalars[];
  /** The session key of the plan. */
  key: string;
  /** Present tensors, in order. */
  present: number[];
  /** New per-parameter steps and host states, applied on commit. */
  steps: number[];
  hosts: Record<string, number>[];
}

/**
 * The plan, scalars and session key of a group's next step given which tensors have a gradient, their step
 * counts and host states (undefined when no tensor has one). Tensors at the same step with the same host
 * state share one set of scalars.
 */
export function planStep<O>(algo: Algorithm<O>, slots: readonly TensorSlot[], steps: readonly number[], hosts: Record<string, number>[],
  options: O, present: (i: number) => boolean, zeros: readonly number[]): HostStep | undefined {
  const presentList: number[] = [];
  const t0 = steps[0];
  let sameStep = true;
  for (let i = 0; i < slots.length; i++) {
    if (present(i)) presentList.push(i);
    if (steps[i] !== t0) sameStep = false;
  }
  if (presentList.length === 0) return undefined;
  const structure = algo.structure(options);
  // The common case, every tensor at the same step with no host state: one set of scalars, computed once.
  if (sameStep && presentList.length === slots.length && Object.keys(hosts[0]).length === 0) {
    const scalars = [algo.scalars(options, t0 + 1, hosts[0])];
    // `zeros` (every tensor in set 0) and `hosts` (unchanged) are shared, not copied: this runs every step.
    const plan: StepPlan = { tensors: slots, sets: zeros, scalarSets: [{ names: Object.keys(scalars[0].values), variant: scalars[0].variant }] };
    return { plan, scalars, key: keyOf(structure, plan), present: presentList, steps: steps.map((t) => t + 1), hosts };
  }
  const sets: number[] = slots.map(() => -1);
  const scalars: StepScalars[] = [];
  const byKey = new Map<string, number>();
  const nextSteps = [...steps];
  const nextHosts = [...hosts];
  for (const i of presentList) {
    const t = steps[i] + 1;
    const key = `${t}|${Object.values(hosts[i]).join(',')}`;
    let k = byKey.get(key);
    if (k === undefined) {
      k = scalars.length;
      byKey.set(key, k);
      scalars.push(algo.scalars(options, t, hosts[i]));
    }
    sets[i] = k;
    nextSteps[i] = t;
    if (scalars[k].host) nextHosts[i] = scalars[k].host!;
  }
  const plan: StepPlan = { tensors: slots, sets, scalarSets: scalars.map((s) => ({ names: Object.keys(s.values), variant: s.variant })) };
  return { plan, scalars, key: keyOf(structure, plan), present: presentList, steps: nextSteps, hosts: nextHosts };
}

/** A session key: the graph's form (structure, which tensors step with which scalar set, variants, scalar names). */
function keyOf(structure: string, plan: StepPlan): string {
  const sets = isFlat(plan) ? 'flat' : plan.sets.join(',');
  return `${structure}|${sets}|${plan.scalarSets.map((s) => `${s.variant}:${s.names.join(',')}`).join(';')}`;
}
