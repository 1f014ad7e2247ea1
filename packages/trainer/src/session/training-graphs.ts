import { Dim, ModelProto, TensorProto, fromOnnxDataType } from '@ortrain/graph-builder';
import { buildGradientGraph } from '../autodiff';
import { LossSpec, resolveLoss } from '../losses';
import type { ResolvedLoss } from '../losses';
import { LabelCheck, TensorSpec, inputSpecs } from './batch';
import { modelFor } from './graph-io';
import type { DropoutMask, RunningStat } from './train-mode';

/** A trainable parameter. */
export interface TrainableParam {
  name: string;
  dims: number[];
  /** Its values in the forward model. */
  initial: Float32Array;
}

/**
 * The models a session is made of, however they were made (autodiff of a forward model now, or artifacts
 * saved before). `training` maps model inputs, labels and parameters (graph inputs by their initializer
 * names) to the loss and each parameter's gradient (`<name>.grad`); `eval` maps the same inputs to the loss
 * and the forward model's outputs.
 */
export interface SessionModels {
  training: ModelProto;
  eval: ModelProto;
  params: TrainableParam[];
  /** The model inputs a batch must feed. */
  inputs: TensorSpec[];
  /** The labels input, and what its values must be (class indices below `classes`, or ignoreIndex). */
  labels: LabelCheck;
  /** The forward model's output names, in order. */
  outputNames: string[];
  /** The loss output of the training and eval models: 'loss', or a variant when the model has an output of that name. */
  lossName: string;
  loss: ResolvedLoss;
  /** Training mode: BatchNormalization running statistics the training model updates (see train-mode.ts). */
  stats?: RunningStat[];
  /** Training mode: Dropout masks each training step feeds. */
  masks?: DropoutMask[];
}

export const gradName = (param: string) => `${param}.grad`;

export type Trainable = string[] | RegExp | ((name: string, tensor: TensorProto) => boolean);

/** The name of the labels input: 'labels', or a variant when the model already has a value of that name. */
export function labelsName(model: ModelProto): string {
  const taken = new Set<string>();
  const g = model.graph!;
  for (const i of g.input ?? []) taken.add(i.name!);
  for (const t of g.initializer ?? []) taken.add(t.name!);
  for (const n of g.node ?? []) for (const o of n.output ?? []) taken.add(o);
  let name = 'labels';
  for (let i = 1; taken.has(name); i++) name = `labels_${i}`;
  return name;
}

/** The loss resolved against the model output it applies to (the first unless `output` names one). */
export function lossFor(model: ModelProto, spec: LossSpec, output?: string): { loss: ResolvedLoss; output: string } {
  const outputs = model.graph!.output ?? [];
  const first = resolveLoss(spec);
  const name = output ?? first.output ?? outputs[0]?.name;
  const info = outputs.find((o) => o.name === name);
  if (!info) {
    throw new RangeError(`output: '${name}' is not an output of the model; its outputs are ${outputs.map((o) => `'${o.name}'`).join(', ')}`);
  }
  const t = info.type?.tensorType;
  const shape = t?.shape ? (t.shape.dim ?? []).map((d) => (d.dimValue !== undefined ? Number(d.dimValue) : d.dimParam || `unk__${name}`)) : undefined;
  const loss = resolveLoss(spec, { dtype: t?.elemType ? fromOnnxDataType(t.elemType) : undefined, shape });
  return { loss, output: name! };
}

/** What labels must be: the loss's element type and shape, and for cross-entropy the class range. */
function labelCheck(model: ModelProto, loss: ResolvedLoss, output: string): LabelCheck {
  const check: LabelCheck = { name: labelsName(model), dtype: loss.labels.dtype, shape: loss.labels.shape };
  if (loss.kind !== 'cross_entropy') return check;
  const spec = loss.spec as { ignoreIndex?: number; classAxis?: number };
  check.ignoreIndex = spec.ignoreIndex ?? -100;
  const dims = model.graph!.output!.find((o) => o.name === output)?.type?.tensorType?.shape?.dim;
  if (dims && dims.length > 0) {
    let axis = spec.classAxis ?? (dims.length === 1 ? 0 : 1);
    if (axis < 0) axis += dims.length;
    const c = dims[axis]?.dimValue;
    if (c !== undefined) check.classes = Number(c);
  }
  return check;
}

/** The training and eval models of a forward model, by autodiff. */
export function modelsFromForward(model: ModelProto, trainable: Trainable | undefined, spec: LossSpec, output?: string,
  state: { inputs: string[]; outputs: string[] } = { inputs: [], outputs: [] }): SessionModels {
  const { loss, output: lossOutput } = lossFor(model, spec, output);
  const labels = labelCheck(model, loss, lossOutput);
  const modelOpset = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 17;
  const gg = buildGradientGraph(model, {
    trainable,
    loss: { build: loss.build, labels: { name: labels.name, dtype: labels.dtype, shape: [...(labels.shape ?? [])] as Dim[] }, output: lossOutput },
    opset: Math.max(17, Number(modelOpset)),
  });
  if (gg.params.length === 0) {
    throw new RangeError(`trainable: no initializer of the model is trainable (frozen: ${gg.frozen.length ? gg.frozen.join(', ') : 'none'})`);
  }
  for (const p of gg.params) {
    if (p.dtype !== 'float32') throw new RangeError(`trainable: '${p.name}' is ${p.dtype}; only float32 parameters can be trained`);
  }
  // State (running statistics, masks; see train-mode.ts) is fed and read by the session, not by the caller.
  const outputNames = (model.graph!.output ?? []).map((o) => o.name!).filter((n) => !state.outputs.includes(n));
  let lossName = 'loss';
  for (let i = 1; outputNames.includes(lossName); i++) lossName = `loss_${i}`;
  const others = model.opsetImport ?? [];
  const training = modelFor(gg.builder, [
    { value: gg.loss, name: lossName },
    ...gg.params.map((p) => ({ value: gg.grads.get(p.name)!, name: gradName(p.name) })),
    ...state.outputs.map((n) => ({ value: gg.outputs[n], name: n })),
  ], 'ortrain training model: loss and gradients', others);
  const evalModel = modelFor(gg.builder, [
    { value: gg.loss, name: lossName },
    ...outputNames.map((n) => ({ value: gg.outputs[n], name: n })),
  ], 'ortrain eval model: loss and outputs', others);
  return {
    training,
    eval: evalModel,
    params: gg.params.map((p) => ({ name: p.name, dims: [...p.dims], initial: p.initial })),
    inputs: inputSpecs(model.graph!, new Set([...gg.frozen, ...gg.params.map((p) => p.name), ...state.inputs])),
    labels,
    outputNames,
    lossName,
    loss,
  };
}
