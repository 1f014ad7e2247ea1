import { Parameter, optimizerFromConfig as registeredFromConfig, registerOptimizer } from '@ortrain/optimizers';
import type { AnyOptimizer } from '@ortrain/optimizers';
import type { OptimizerConfig, ResolveConfig } from './config';
import { Lookahead, Scout } from './slow-weights';
import { SAM } from './sam';
import type { Optimizable } from './wrapper';

const wrappers: Record<string, { fromConfig(params: Parameter[], config: OptimizerConfig, resolve: ResolveConfig): Optimizable }> = { SAM, Lookahead, Scout };

/**
 * The one place that turns a config into an optimizer: a wrapper by its name (its base resolved by this
 * same function), else an optimizer of @ortrain/optimizers' registry by its name. `baseFactory`,
 * when given, builds the innermost optimizer instead (a checkpoint rebuilds it with its saved groups).
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

// The wrappers register by name like any optimizer, so `optimizerFromConfig` of @ortrain/optimizers, artifacts
// and the CLI build them from a config too.
for (const name of Object.keys(wrappers)) {
  registerOptimizer(name, (params, config) => optimizerFromConfig(params as Parameter[], config) as unknown as AnyOptimizer);
}

/** Whether a config names a wrapper. */
export function isWrapperConfig(config: OptimizerConfig | undefined): boolean {
  return !!config && config.name in wrappers;
}
