// The optimizers the page offers: every optimizer of @ortrain/optimizers' registry, one line each, with the
// options the form shows and their starting values (the rest keep the algorithm's defaults). The page builds
// them through the registry by name, as the CLI does; optimizer-table.test.ts fails when the registry holds an
// optimizer this table lacks.
import { optimizerFromConfig } from '@ortrain/optimizers';
import type { AnyOptimizer, Parameter } from '@ortrain/optimizers';

/** An optimizer by its registered name, with the numeric options the page lets the user set. */
export interface OptimizerChoice {
  /** The registered name, as the page lists it. */
  name: string;
  /** Option name to its value on the form before the user changes it. */
  options: Record<string, number>;
}

export const OPTIMIZERS: readonly OptimizerChoice[] = [
  { name: 'Adam', options: { lr: 0.002, weightDecay: 0, eps: 1e-8 } },
  { name: 'AdamW', options: { lr: 0.002, weightDecay: 0.01, eps: 1e-8 } },
  { name: 'Adamax', options: { lr: 0.002, weightDecay: 0, eps: 1e-8 } },
  { name: 'NAdam', options: { lr: 0.002, weightDecay: 0, momentumDecay: 0.004 } },
  { name: 'RAdam', options: { lr: 0.002, weightDecay: 0, eps: 1e-8 } },
  { name: 'Adagrad', options: { lr: 0.01, lrDecay: 0, weightDecay: 0 } },
  { name: 'RMSprop', options: { lr: 0.001, alpha: 0.99, momentum: 0, weightDecay: 0 } },
  { name: 'SGD', options: { lr: 0.05, momentum: 0.9, weightDecay: 0 } },
  { name: 'LARS', options: { lr: 0.1, momentum: 0.9, weightDecay: 0, trustCoefficient: 0.001 } },
  { name: 'LAMB', options: { lr: 0.002, weightDecay: 0, eps: 1e-8 } },
  { name: 'RaLars', options: { lr: 0.002, weightDecay: 0, eps: 1e-8 } },
  { name: 'TAdam', options: { lr: 0.002, weightDecay: 0, eps: 1e-8 } },
  { name: 'AdaBelief', options: { lr: 0.002, weightDecay: 0, eps: 1e-8 } },
  { name: 'AdamP', options: { lr: 0.002, weightDecay: 0, delta: 0.1 } },
  { name: 'Adan', options: { lr: 0.002, weightDecay: 0, eps: 1e-8 } },
  { name: 'AdEMAMix', options: { lr: 0.002, alpha: 5, weightDecay: 0 } },
];

/** Builds the optimizer a choice names over `params`, with the form's options. */
export function buildOptimizer(choice: OptimizerChoice, params: Parameter[], options: Record<string, number>): AnyOptimizer {
  return optimizerFromConfig(params, { name: choice.name, options });
}

/** The table's entry for a name, or a RangeError listing the names it has. */
export function optimizerChoice(name: string): OptimizerChoice {
  const found = OPTIMIZERS.find((o) => o.name === name);
  if (!found) throw new RangeError(`optimizer: unknown optimizer '${name}' (known: ${OPTIMIZERS.map((o) => o.name).join(', ')})`);
  return found;
}
