import { Dim, ModelProto, TensorProto, Value } from '@ortrain/graph-builder';
import { buildGradientGraph, valueInfoOf } from '../autodiff';
import type { TrainableChoice } from '../autodiff';
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
  /** For every initializer and float Constant of the forward model: whether it trains and why (absent for artifacts). */
  choices?: TrainableChoice[];
  /**
   * When the rank of the value the loss applies to is unknown until run time: the training and eval models
   * output its shape under `name`, and the session checks the labels against it (without the class axis
   * `dropAxis` for cross-entropy) after each run.
   */
  predictionShape?: { name: string; value: string; dropAxis?: number };
  /** Training mode: BatchNormalization running statistics the training model updates (see train-mode.ts). */
  stats?: RunningStat[];
  /** Training mode: Dropout masks each training step feeds. */
  masks?: DropoutMask[];
  /** Training mode: the eval model's cut of the training form (loss and outputs on batch statistics, masks fed). */
  trainModeEval?: ModelProto;
}

export const gradName = (param: string) => `${param}.grad`;

export type Trainable = string[] | RegExp | ((name: string, tensor: TensorProto) => boolean) | { except: string[] };

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

/**
 * The loss resolved against the value it applies to: the first model output unless `output` (or the loss's
 * own `output`) names one, which may be any value of the graph (the logits before a Softmax head).
 */
export function lossFor(model: ModelProto, spec: LossSpec, output?: string, warn: (message: string) => void = console.warn): { loss: ResolvedLoss; output: string; shape?: Dim[] } {
  const outputs = model.graph!.output ?? [];
  const first = resolveLoss(spec);
  const name = output ?? first.output ?? outputs[0]?.name;
  const info = name ? valueInfoOf(model, name) : undefined;
  if (!info) {
    throw new RangeError(`output: '${name}' is not a value of the model; its outputs are ${outputs.map((o) => `'${o.name}'`).join(', ')}`);
  }
  const loss = resolveLoss(spec, { dtype: info.dtype, shape: info.shape });
  const head = info.producer;
  const squash = loss.kind === 'cross_entropy' ? ['Softmax', 'LogSoftmax'] : loss.kind === 'bce_with_logits' ? ['Sigmoid'] : [];
  if (head && squash.includes(head.opType ?? '') && head.input?.[0]) {
    warn(`loss '${loss.kind}': '${name}' is the output of ${head.opType} '${head.name || name}', and the loss applies its own ` +
      `${loss.kind === 'cross_entropy' ? 'log-softmax' : 'sigmoid'}: train on the logits before it with output: '${head.input[0]}'`);
  }
  return { loss, output: name!, shape: info.shape };
}

/** What labels must be: the loss's element type and shape, and for cross-entropy the class range. */
function labelCheck(model: ModelProto, loss: ResolvedLoss, dims: Dim[] | undefined): LabelCheck {
  const check: LabelCheck = { name: labelsName(model), dtype: loss.labels.dtype, shape: loss.labels.shape };
  if (loss.kind !== 'cross_entropy') return check;
  const spec = loss.spec as { ignoreIndex?: number; classAxis?: number };
  check.ignoreIndex = spec.ignoreIndex ?? -100;
  if (dims && dims.length > 0) {
    let axis = spec.classAxis ?? (dims.length === 1 ? 0 : 1);
    if (axis < 0) axis += dims.length;
    const c = dims[axis];
    if (typeof c === 'number') check.classes = c;
  }
  return check;
}

/** The training and eval models of a forward model, by autodiff. */
export function modelsFromForward(model: ModelProto, trainable: Trainable | undefined, spec: LossSpec, output?: string,
  state: { inputs: string[]; outputs: string[] } = { inputs: [], outputs: [] }): SessionModels {
  const { loss, output: lossOutput, shape } = lossFor(model, spec, output);
  const labels = labelCheck(model, loss, shape);
  const modelOpset = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 17;
  const gg = buildGradientGraph(model, {
    trainable,
    loss: { build: loss.build, labels: { name: labels.name, dtype: labels.dtype, shape: labels.shape ? [...labels.shape] as Dim[] : undefined }, output: lossOutput },
    opset: Math.max(17, Number(modelOpset)),
  });
  for (const p of gg.params) {
    if (p.dtype !== 'float32') throw new RangeError(`trainable: '${p.name}' is ${p.dtype}; only float32 parameters can be trained`);
  }
  // State (running statistics, masks; see train-mode.ts) is fed and read by the session, not by the caller.
  const outputNames = (model.graph!.output ?? []).map((o) => o.name!).filter((n) => !state.outputs.includes(n));
  let lossName = 'loss';
  for (let i = 1; outputNames.includes(lossName); i++) lossName = `loss_${i}`;
  const others = model.opsetImport ?? [];
  // A prediction of unknown rank: its run-time shape comes out beside the loss, for the labels' check.
  let predictionShape: SessionModels['predictionShape'];
  let shapeValue: Value | undefined;
  if (!shape && loss.kind !== 'graph') {
    let name = 'prediction_shape';
    for (let i = 1; outputNames.includes(name) || name === lossName; i++) name = `prediction_shape_${i}`;
    shapeValue = gg.builder.shape(gg.target);
    const axis = loss.kind === 'cross_entropy' ? (loss.spec as { classAxis?: number }).classAxis ?? 1 : undefined;
    predictionShape = { name, value: lossOutput, ...(axis === undefined ? {} : { dropAxis: axis }) };
  }
  const training = modelFor(gg.builder, [
    { value: gg.loss, name: lossName },
    ...gg.params.map((p) => ({ value: gg.grads.get(p.name)!, name: gradName(p.name) })),
    ...state.outputs.map((n) => ({ value: gg.outputs[n], name: n })),
    ...(predictionShape ? [{ value: shapeValue!, name: predictionShape.name }] : []),
  ], 'ortrain training model: loss and gradients', others);
  const evalModel = modelFor(gg.builder, [
    { value: gg.loss, name: lossName },
    ...outputNames.map((n) => ({ value: gg.outputs[n], name: n })),
    ...(predictionShape ? [{ value: shapeValue!, name: predictionShape.name }] : []),
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
    choices: gg.choices,
    ...(predictionShape ? { predictionShape } : {}),
  };
}
