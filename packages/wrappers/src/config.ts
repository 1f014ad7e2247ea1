import type { OptimizerConfig, Parameter } from '@ortrain/optimizers';
import type { Optimizable } from './wrapper';

export type { OptimizerConfig };

/** Builds the optimizer a config names over `params` (a wrapper's base through the same function). */
export type ResolveConfig = (params: Parameter[], config: OptimizerConfig) => Optimizable;

/** The config of an optimizer or a wrapper (each group's own options are in its state dict). */
export function configOf(o: Optimizable): OptimizerConfig {
  return o.getConfig();
}

