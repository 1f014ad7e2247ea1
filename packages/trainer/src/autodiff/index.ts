import type { ModelProto } from '@ortrain/graph-builder';
import { buildGradientGraph } from './gradient-graph';
import type { GradientGraphOptions, GradientParam } from './types';

export type { LossBuilder, GradientGraphOptions, GradientGraph, GradientParam } from './types';
export { buildGradientGraph, valueInfoOf } from './gradient-graph';
export type { TrainableChoice, TensorSource } from './trainable';
export { GRADIENT_RULES, NO_GRADIENT } from './rules';
export type { GradContext, GradRule, GradFn } from './context';

/**
 * Convenience: a model whose outputs are 'loss' and one gradient per trainable param (named in the map).
 * Its inputs are the model's inputs, the labels (with `loss`) and the trainable params (`params`, with their
 * initial values).
 */
export function buildGradientModel(model: ModelProto, options: GradientGraphOptions): { model: ModelProto; gradientOutputs: Record<string, string>; params: GradientParam[] } {
  const gg = buildGradientGraph(model, options);
  const g = gg.builder;
  g.output(gg.loss, gg.loss.name === 'loss' || !g.get('loss') ? 'loss' : g.uniqueName('loss'));
  const gradientOutputs: Record<string, string> = {};
  for (const p of gg.params) {
    const name = g.uniqueName(`${p.name}_grad`);
    gradientOutputs[p.name] = g.output(gg.grads.get(p.name)!, name).name;
  }
  return { model: g.build({ irVersion: Math.max(model.irVersion ?? 8, 8) }), gradientOutputs, params: gg.params };
}
