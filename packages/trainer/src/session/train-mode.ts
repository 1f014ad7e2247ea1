// Training mode of a forward model, as PyTorch's module.train(): BatchNormalization normalises with the
// batch's statistics (the gradient flows through them) and updates its running mean and variance;
// Dropout drops. The rewrite is plain ONNX ops, so the existing gradient rules differentiate it and every
// execution provider runs it. It works on models exported in eval mode (PyTorch's default) as they are.
import { fromOnnxDataType, makeAttribute, tensorFromArray, tensorToArray, toOnnxDataType } from '@ortrain/graph-builder';
import type { DType, Dim, ModelProto, NodeProto, TensorProto, ValueInfoProto } from '@ortrain/graph-builder';
import type { Tensor } from 'onnxruntime-common';
import type { TensorSpec } from './batch';
import { NodeAttrs, describeNode } from '../autodiff/attrs';
import { ShapeTable } from '../autodiff/infer';
import { BATCH_STATISTICS } from '../autodiff/rules/norm';

/** A running statistic of a BatchNormalization: a model input in both modes, updated by every training step. */
export interface RunningStat {
  /** The initializer's name in the forward model (export writes the new values there). */
  name: string;
  dims: number[];
  dtype: DType;
  initial: Float32Array;
  /** The training model's output holding its value after the step. */
  next: string;
  /** The BatchNormalization node, and the shape of its input (batch statistics need two values per channel). */
  node: string;
  inputShape?: Dim[];
}

/** A Dropout in training mode: its mask (0 or 1 / (1 - ratio), the input's shape) is fed at every step. */
export interface DropoutMask {
  /** The training model's input that takes the mask. */
  name: string;
  ratio: number;
  /** The shape of the dropped tensor: sizes, or symbolic sizes of the model's inputs. */
  shape: Dim[];
  /** The node, for error messages. */
  node: string;
}

export interface TrainModeModels {
  /** The forward model in training mode: running statistics as inputs, their new values and masks. */
  train: ModelProto;
  /** The forward model in eval mode with the running statistics as inputs (fed their current values). */
  eval: ModelProto;
  stats: RunningStat[];
  masks: DropoutMask[];
}

const ONNX = new Set(['', 'ai.onnx']);

/**
 * The training-mode form of `model`, or undefined when it has no BatchNormalization or Dropout (training
 * and eval mode are then the same model). Throws for a BatchNormalization whose running statistics are not
 * initializers, or a Dropout whose ratio is not a constant, naming the node.
 */
export function trainModeModels(model: ModelProto): TrainModeModels | undefined {
  const graph = model.graph!;
  const nodes = graph.node ?? [];
  const isBn = (n: NodeProto) => n.opType === 'BatchNormalization' && ONNX.has(n.domain ?? '');
  const isDropout = (n: NodeProto) => n.opType === 'Dropout' && ONNX.has(n.domain ?? '');
  if (!nodes.some((n) => isBn(n) || isDropout(n))) return undefined;
  const opset = Number((model.opsetImport ?? []).find((o) => ONNX.has(o.domain ?? ''))?.version ?? 1);

  const inits = new Map((graph.initializer ?? []).map((t) => [t.name!, t]));
  const constants = new Map<string, TensorProto>();
  for (const n of nodes) if (n.opType === 'Constant' && n.output?.[0]) {
    const t = (n.attribute ?? []).find((a) => a.name === 'value')?.t;
    if (t) constants.set(n.output[0], t);
  }
  const taken = new Set<string>([...inits.keys(), ...(graph.input ?? []).map((i) => i.name!)]);
  for (const n of nodes) for (const o of [...(n.output ?? []), n.name ?? '']) if (o) taken.add(o);
  const fresh = (base: string) => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };

  // Types and shapes: a BatchNormalization's rank and sizes, a Dropout's sizes (its mask is made on the host).
  const table = new ShapeTable(ShapeTable.hintsFrom([...(graph.valueInfo ?? []), ...(graph.input ?? []), ...(graph.output ?? [])]));
  for (const i of graph.input ?? []) if (!inits.has(i.name!)) {
    const h = ShapeTable.hintsFrom([i]).get(i.name!);
    if (h) table.set(i.name!, h);
  }
  for (const t of inits.values()) table.addTensor(t);
  for (const n of nodes) table.inferNode(n);

  const train: NodeProto[] = [];
  const stats: RunningStat[] = [];
  const masks: DropoutMask[] = [];
  const used = new Set<string>();
  const extraInits: TensorProto[] = [];
  const constant = (base: string, dtype: DType, dims: number[], values: number[]) => {
    const name = fresh(base);
    extraInits.push(tensorFromArray(name, dtype, dims, values));
    return name;
  };
  // A node of integer attributes (axes, keepdims, to) appended to the training form; returns its output.
  const node = (opType: string, input: string[], base: string, attrs: Record<string, number | number[]> = {}, output = fresh(base)): string => {
    train.push({ opType, input, output: [output], name: fresh(`${base}_${opType}`),
      attribute: Object.entries(attrs).map(([k, v]) => makeAttribute(k, v, Array.isArray(v) ? 'ints' : 'int')) });
    return output;
  };
  const reduceMean = (x: string, axes: number[], base: string) =>
    opset >= 18 ? node('ReduceMean', [x, constant(`${base}_axes`, 'int64', [axes.length], axes)], base, { keepdims: 1 })
      : node('ReduceMean', [x], base, { axes, keepdims: 1 });

  const statInputs: ValueInfoProto[] = [];
  const newOutputs: ValueInfoProto[] = [];
  for (const n of nodes) {
    if (isBn(n)) {
      rewriteBatchNorm(n);
      continue;
    }
    if (isDropout(n)) {
      rewriteDropout(n);
      continue;
    }
    train.push(n);
  }

  function rewriteBatchNorm(n: NodeProto): void {
    const a = new NodeAttrs(n);
    const [input, scale, bias, mean, variance] = n.input ?? [];
    const base = n.name || n.output![0];
    const dtype = table.get(input)?.dtype ?? 'float32';
    for (const s of [mean, variance]) {
      const t = inits.get(s);
      if (!t || fromOnnxDataType(t.dataType ?? 0) !== dtype) {
        throw new RangeError(`${describeNode(n)}: training mode needs its running statistic '${s}' to be a ${dtype} initializer ` +
          `(it is ${t ? fromOnnxDataType(t.dataType ?? 0) : 'computed by the graph'}); use mode: 'eval'`);
      }
      if (used.has(s)) throw new RangeError(`${describeNode(n)}: running statistic '${s}' is shared with another BatchNormalization; training mode needs one per node`);
      used.add(s);
    }
    const dims = (inits.get(mean)!.dims ?? []).map(Number);
    const channels = dims[0];
    const rank = table.get(input)?.shape?.length;
    if (rank === undefined || rank < 2) throw new RangeError(`${describeNode(n)}: training mode needs the rank of its input '${input}' (>= 2), which is not known`);
    if (opset < 9 && a.int('spatial', 1) !== 1) throw new RangeError(`${describeNode(n)}: training mode supports spatial = 1 only`);
    const eps = a.float('epsilon', 1e-5);
    const momentum = a.float('momentum', 0.9);
    const flat = constant(`${base}_flat_shape`, 'int64', [1], [channels]);
    // A (N, C) input goes through as (N, C, 1): onnxruntime 1.30's WebGPU BatchNormalization gives wrong values
    // for rank 2 with a mean that is not an initializer.
    const x = rank > 2 ? input : node('Reshape', [input, constant(`${base}_as_rank3`, 'int64', [3], [0, channels, 1])], `${base}_rank3`);
    const axes = [0, ...Array.from({ length: Math.max(rank, 3) - 2 }, (_, i) => i + 2)];
    // y = (x - mean) / sqrt(var + eps) * scale + bias with the batch's mean and biased variance per channel:
    // BatchNormalization itself on the batch statistics, named so that its gradient rule (rules/norm.ts)
    // differentiates through them in one fused formula.
    const m = reduceMean(x, axes, `${base}_batch_mean`);
    const d = node('Sub', [x, m], `${base}_centred`);
    const v = reduceMean(node('Mul', [d, d], `${base}_squares`), axes, `${base}_batch_var`);
    const batchMean = node('Reshape', [m, flat], `${base}_mean_flat`);
    const batchVarBiased = node('Reshape', [v, flat], `${base}_var_flat`);
    const y = rank > 2 ? n.output![0] : fresh(`${base}_rank3_out`);
    train.push({ opType: 'BatchNormalization', input: [x, scale, bias, batchMean, batchVarBiased], output: [y],
      name: fresh(`${base}${BATCH_STATISTICS}`), attribute: [makeAttribute('epsilon', eps, 'float')] });
    if (rank === 2) node('Reshape', [y, constant(`${base}_as_rank2`, 'int64', [2], [0, channels])], base, {}, n.output![0]);
    // running = running * momentum + batch * (1 - momentum), with the unbiased variance (n / (n - 1)), as torch.
    const count = node('Div', [node('Cast', [node('Size', [x], `${base}_size`)], `${base}_size_float`, { to: toOnnxDataType(dtype) }),
      constant(`${base}_channels`, dtype, [], [channels])], `${base}_count`);
    const bessel = node('Div', [count, node('Sub', [count, constant(`${base}_one`, dtype, [], [1])], `${base}_count_minus_1`)], `${base}_bessel`);
    const keep = constant(`${base}_momentum`, dtype, [], [momentum]);
    const take = constant(`${base}_one_minus_momentum`, dtype, [], [1 - momentum]);
    const batchVar = node('Mul', [batchVarBiased, bessel], `${base}_var_unbiased`);
    const update = (running: string, batch: string, what: string, out: string | undefined) =>
      node('Add', [node('Mul', [running, keep], `${base}_${what}_kept`), node('Mul', [batch, take], `${base}_${what}_taken`)], `${running}_next`, {}, out || fresh(`${running}.next`));
    const outs = n.output ?? [];
    const nextMean = update(mean, batchMean, 'mean', outs[1]);
    const nextVar = update(variance, batchVar, 'var', outs[2]);
    for (const [s, next] of [[mean, nextMean], [variance, nextVar]]) {
      stats.push({ name: s, dims, dtype, initial: Float32Array.from(tensorToArray(inits.get(s)!) as Float32Array), next,
        node: n.name || n.output![0], inputShape: table.get(input)?.shape });
      statInputs.push(valueInfo(s, dims, dtype));
      newOutputs.push(valueInfo(next, dims, dtype));
    }
  }

  function rewriteDropout(n: NodeProto): void {
    const a = new NodeAttrs(n);
    const [x, ratioName] = n.input ?? [];
    let ratio = opset < 12 ? a.float('ratio', 0.5) : 0.5;
    if (opset >= 12 && ratioName) {
      const t = inits.get(ratioName) ?? constants.get(ratioName);
      if (!t) throw new RangeError(`${describeNode(n)}: training mode needs a constant ratio, but '${ratioName}' is computed by the graph`);
      ratio = Number((tensorToArray(t) as ArrayLike<number>)[0]);
    }
    if (!(ratio >= 0 && ratio < 1)) throw new RangeError(`${describeNode(n)}: ratio must be in [0, 1), got ${ratio}`);
    const info = table.get(x);
    if (info?.dtype !== 'float32') throw new RangeError(`${describeNode(n)}: training mode drops float32 tensors only; '${x}' is ${info?.dtype ?? 'of unknown type'}`);
    if (!info.shape) throw new RangeError(`${describeNode(n)}: training mode needs the shape of its input '${x}', which is not known`);
    const base = n.name || n.output![0];
    const mask = fresh(`${base}.dropout_mask`);
    masks.push({ name: mask, ratio, shape: info.shape, node: n.name || n.output![0] });
    statInputs.push(valueInfo(mask, info.shape));
    node('Mul', [x, mask], base, {}, n.output![0]);
    if (n.output?.[1]) train.push({ opType: 'Cast', input: [mask], output: [n.output[1]], name: fresh(`${base}_mask_bool`), attribute: [makeAttribute('to', 9, 'int')] });
  }

  const statNames = new Set(stats.map((s) => s.name));
  const keptInits = (graph.initializer ?? []).filter((t) => !statNames.has(t.name!));
  const statInfos = statInputs.filter((i) => statNames.has(i.name!));
  // Models that list initializers among their inputs keep one entry per running statistic.
  const inputs = (graph.input ?? []).filter((i) => !statNames.has(i.name!));
  const evalGraph = evalForm(model).graph!;
  const evalModel: ModelProto = { ...model, graph: { ...evalGraph, initializer: keptInits, input: [...inputs, ...statInfos] } };
  const trainModel: ModelProto = {
    ...model,
    graph: {
      ...graph,
      node: train,
      initializer: [...keptInits, ...extraInits],
      input: [...inputs, ...statInputs],
      output: [...(graph.output ?? []), ...newOutputs],
      // Shapes recorded for the eval-mode values may not hold in training mode.
      valueInfo: (graph.valueInfo ?? []).filter((v) => !nodes.some((n) => (isBn(n) || isDropout(n)) && n.output?.slice(1).includes(v.name!))),
    },
  };
  return { train: trainModel, eval: evalModel, stats, masks };
}

function valueInfo(name: string, shape: readonly Dim[], dtype: DType = 'float32'): ValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: toOnnxDataType(dtype), shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/** A shape's sizes for a batch: numbers, and symbolic sizes that the model's inputs fix; undefined where one is not fixed. */
export function resolveShape(shape: readonly Dim[], inputs: readonly TensorSpec[], batch: Record<string, Tensor>): (number | undefined)[] {
  const sizes = new Map<Dim, number>();
  for (const spec of inputs) spec.shape?.forEach((d, axis) => { if (typeof d === 'string') sizes.set(d, batch[spec.name].dims[axis]); });
  return shape.map((d) => (typeof d === 'number' ? d : sizes.get(d)));
}

/**
 * Throws before a training-mode run whose batch gives some BatchNormalization one value per channel: its
 * unbiased variance would be 0 / 0 (PyTorch refuses such a batch too).
 */
export function checkBatchStatistics(stats: readonly RunningStat[], inputs: readonly TensorSpec[], batch: Record<string, Tensor>, what: string): void {
  for (const s of stats) {
    if (!s.inputShape) continue;
    const dims = resolveShape(s.inputShape, inputs, batch);
    const perChannel = dims.reduce<number | undefined>((a, d, i) => (i === 1 || a === undefined || d === undefined ? a : a * d), 1);
    if (perChannel !== undefined && perChannel <= 1 && dims.every((d) => d !== undefined)) {
      throw new RangeError(`${what}: BatchNormalization node '${s.node}' in training mode needs more than one value per channel, ` +
        `but its input has shape [${dims.join(', ')}] for this batch; use batches of at least 2 rows, or mode: 'eval'`);
    }
  }
}

/**
 * The model in eval (inference) mode: BatchNormalization and Dropout nodes exported in training mode
 * (training_mode = 1, PyTorch's TrainingMode.TRAINING) become their inference forms; the model itself when
 * none is. A BatchNormalization's running-statistics outputs then pass its running statistics on unchanged.
 */
export function evalForm(model: ModelProto): ModelProto {
  const graph = model.graph!;
  const nodes = graph.node ?? [];
  let changed = false;
  const out: NodeProto[] = [];
  for (const n of nodes) {
    const onnx = ONNX.has(n.domain ?? '');
    const trainingBn = onnx && n.opType === 'BatchNormalization' && (new NodeAttrs(n).int('training_mode', 0) === 1 || (n.output ?? []).filter(Boolean).length > 1);
    const trainingDropout = onnx && n.opType === 'Dropout' && !!n.input?.[2];
    if (!trainingBn && !trainingDropout) {
      out.push(n);
      continue;
    }
    changed = true;
    if (trainingDropout) {
      out.push({ ...n, input: n.input!.slice(0, 2) });
      continue;
    }
    out.push({ ...n, output: [n.output![0]], attribute: (n.attribute ?? []).filter((a) => a.name !== 'training_mode') });
    [1, 2].forEach((k) => {
      const o = n.output?.[k];
      if (o) out.push({ opType: 'Identity', input: [n.input![k + 2]], output: [o], name: `${n.name || n.output![0]}_running_${k}` });
    });
  }
  return changed ? { ...model, graph: { ...graph, node: out } } : model;
}
