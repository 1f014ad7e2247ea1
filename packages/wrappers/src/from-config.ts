import { Parameter, optimizerFromConfig as registeredFromConfig } from '@ortrain/optimizers';
import type { OptimizerConfig, ResolveConfig } from './config';
import { Lookahead, Scout } from './slow-weights';
import { SAM } from './sam';
import type { Optimizable } from './wrapper';

const wrappers: Record<string, { fromConfig(params: Parameter[], config: OptimizerConfig, resolve: ResolveConfig): Optimizable }> = { SAM, Lookahead, Scout };

/**
 * The one place that turns a config into an optimizer: a wrapper by its name (its base resolved by this
 * same function), else an optimizer of @ortrain/optimizers' registry by its name. `baseFactory`,
 * when given, builds the innermost optimizer instead (a checkpoint rebuilds it with its saved groups).
 * The wrappers are not in the optimizers' registry: that lists what `--optimizer` and the demos can build
 * alone, and a wrapper needs a base.
 */
export function optimizerFromConfig(params: Parameter[], config: OptimizerConfig, baseFactory?: ResolveConfig): Optimizable {
  if (!config || typeof config !== 'object' || typeof config.name !== 'string') {
    throw new TypeError(`optimizer config: expected { name, options, base? }, got ${JSON.stringify(config)}`);
  }
  const wrapper = wrappers[config.name];
  if (wrapper) return wrapper.fromConfig(params, config, (ps, c) => optimizerFromConfig(ps, c, baseFactory));
  if (baseFactory) return baseFactory(params, config);
  return registeredFromConfig(params, config) as Optimizable;
}

/** Whether a config names a wrapper. */
export function isWrapperConfig(config: OptimizerConfig | undefined): boolean {
  return !!config && config.name in wrappers;
}
