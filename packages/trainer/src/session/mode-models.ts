import type { ModelProto } from '@ortrain/graph-builder';
import type { LossSpec } from '../losses';
import { evalForm, trainModeModels } from './train-mode';
import { SessionModels, Trainable, modelsFromForward } from './training-graphs';

/** How BatchNormalization and Dropout behave in training steps, as torch's module.train() / .eval(). */
export type SessionMode = 'train' | 'eval';

/**
 * The session's models for a mode. In 'train' mode a model with BatchNormalization or Dropout gets a
 * training model in training mode (batch statistics, running statistics updated, masks fed) and an eval
 * model in eval mode that reads the current running statistics; the trainable set is chosen on the eval
 * form (the model as exported), so both modes train the same parameters.
 */
export function modelsInMode(model: ModelProto, mode: SessionMode, trainable: Trainable | undefined, loss: LossSpec, output?: string): SessionModels {
  const forms = mode === 'train' ? trainModeModels(model) : undefined;
  if (!forms) return modelsFromForward(evalForm(model), trainable, loss, output);
  const wide = forms.stats.find((s) => s.dtype !== 'float32');
  if (wide) throw new RangeError(`mode 'train': running statistic '${wide.name}' is ${wide.dtype}; the session keeps float32 statistics (use mode: 'eval')`);
  const statNames = forms.stats.map((s) => s.name);
  const evalModels = modelsFromForward(forms.eval, trainable, loss, output, { inputs: statNames, outputs: [] });
  const names = evalModels.params.map((p) => p.name);
  const trainModels = modelsFromForward(forms.train, names, loss, output, {
    inputs: [...statNames, ...forms.masks.map((m) => m.name)],
    outputs: forms.stats.map((s) => s.next),
  });
  return { ...trainModels, eval: evalModels.eval, trainModeEval: trainModels.eval, stats: forms.stats, masks: forms.masks };
}
