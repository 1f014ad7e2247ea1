import type { Dim, GraphBuilder, Value } from '@ortrain/graph-builder';
import { checkAxis, checkInteger, checkKnownKeys, checkFloatValue, checkReduction, checkWeights } from './checks';
import type { CrossEntropyOptions, LossBuilder, Reduction } from './types';

const KIND = 'cross_entropy';
export const CROSS_ENTROPY_OPTIONS = ['weight', 'ignoreIndex', 'labelSmoothing', 'reduction', 'classAxis'] as const;

/** Cross-entropy options with torch's defaults filled in and checked. */
export interface CrossEntropyConfig {
  weight?: number[];
  ignoreIndex: number;
  labelSmoothing: number;
  reduction: Reduction;
  /** As given (may be negative); undefined means torch's choice: 1, or 0 for an unbatched [C] prediction. */
  classAxis?: number;
}

export function crossEntropyConfig(options: CrossEntropyOptions = {}): CrossEntropyConfig {
  checkKnownKeys(KIND, options, CROSS_ENTROPY_OPTIONS);
  const smoothing = options.labelSmoothing ?? 0;
  if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing <= 1)) {
    throw new RangeError(`loss '${KIND}': labelSmoothing must be in [0, 1], got ${String(smoothing)}`);
  }
  return {
    weight: options.weight === undefined ? undefined : checkWeights(KIND, 'weight', options.weight, false),
    ignoreIndex: options.ignoreIndex === undefined ? -100 : checkInteger(KIND, 'ignoreIndex', options.ignoreIndex),
    labelSmoothing: smoothing,
    reduction: checkReduction(KIND, options.reduction),
    classAxis: options.classAxis === undefined ? undefined : checkInteger(KIND, 'classAxis', options.classAxis),
  };
}

/** The class axis for a prediction of `rank`, as a non-negative index. */
export function classAxisFor(config: CrossEntropyConfig, rank: number): number {
  if (rank < 1) throw new RangeError(`loss '${KIND}': the prediction must have a class axis; got a scalar`);
  return checkAxis(KIND, 'classAxis', config.classAxis ?? (rank === 1 ? 0 : 1), rank);
}

/** Checks the weight's length against a known number of classes. */
export function checkClassCount(config: CrossEntropyConfig, classes: Dim): void {
  if (config.weight && typeof classes === 'number' && config.weight.length !== classes) {
    throw new RangeError(`loss '${KIND}': weight has ${config.weight.length} entries, the prediction has ${classes} classes`);
  }
}

/**
 * torch's cross_entropy with class-index labels. Per labelled element i with true class y:
 *   t_i = -(1 - e) w_y log p_iy - (e / C) sum_c w_c log p_ic,   p = softmax over the class axis,
 * zero where y == ignoreIndex; 'sum' gives sum t_i, 'mean' gives sum t_i / sum w_y over the labelled
 * elements (w = 1 without weights), which is torch's normalisation in every combination of weight, ignore
 * index and smoothing. All labels ignored: the mean is 0/0 = NaN, as torch's.
 *
 * Graph: LogSoftmax, then GatherElements of the true class, so the [.., C, ..] tensor is read twice and all
 * other work is on tensors of the labels' size (the smoothing term adds one class-axis ReduceSum).
 * Ops: LogSoftmax, Unsqueeze, Equal, Where, GatherElements, Gather (weights), Mul, Add, ReduceSum, Div, Neg,
 * and Shape, Cast only when the number of classes is not known when the graph is built.
 *
 * When the builder does not know the prediction's rank, `classAxis` is used as given (default 1, so an
 * unbatched [C] prediction needs a known shape); class weights with smoothing then need a negative classAxis.
 *
 * Labels out of range (not in [0, C) and not ignoreIndex) are not checked here, as in any ONNX graph:
 * values in [-C, -1] select a class counted from the end (GatherElements' negative indices); others fail
 * the run on the CPU provider ("GatherElements op: Out of range value in index tensor") and give undefined
 * values on WebGPU. The training session checks labels before running.
 */
export function crossEntropyLoss(options: CrossEntropyOptions = {}): LossBuilder {
  const config = crossEntropyConfig(options);
  return (g, prediction, labels) => g.scope('cross_entropy', () => buildCrossEntropy(g, prediction, labels, config));
}

function buildCrossEntropy(g: GraphBuilder, x: Value, labels: Value, config: CrossEntropyConfig): Value {
  checkFloatValue(KIND, 'prediction', x);
  if (labels.dtype && labels.dtype !== 'int64') {
    throw new RangeError(`loss '${KIND}': labels '${labels.name}' must be int64 class indices, got ${labels.dtype}`);
  }
  // With the rank unknown the class axis is used as given (default 1); ONNX takes negative axes as they are.
  const rank = x.shape?.length;
  const axis = rank === undefined ? config.classAxis ?? 1 : classAxisFor(config, rank);
  const classes: Dim | undefined = rank === undefined ? undefined : x.shape![axis];
  if (classes !== undefined) checkClassCount(config, classes);
  if (rank !== undefined) checkLabelShape(x, labels, axis);
  const dtype = x.dtype ?? 'float32';
  const { weight, ignoreIndex, labelSmoothing: e, reduction } = config;

  const logp = g.op('LogSoftmax', [x], { axis });
  // Labels with a size-1 class axis, the index layout GatherElements wants.
  const y = g.unsqueeze(labels, [axis]);
  const ignored = g.equal(y, g.constant(ignoreIndex, 'int64'));
  // An ignore index that is not a valid class index is swapped for 0 before gathering; its terms are masked.
  const validIndex = typeof classes === 'number' && ignoreIndex >= -classes && ignoreIndex < classes;
  const index = validIndex ? y : g.where(ignored, g.constant(0, 'int64'), y);
  const picked = g.op('GatherElements', [logp, index], { axis }, { shapes: [y.shape] });
  const zero = g.constant(0, dtype);
  // Weight of each element's true class, 0 where ignored: the mean's denominator sums these.
  const trueWeight = weight
    ? g.where(ignored, zero, g.op('Gather', [g.constant(weight, dtype), index], { axis: 0 }, { shapes: [y.shape] }))
    : g.where(ignored, zero, g.constant(1, dtype));

  // total = sum of per-element terms before the factor `scale`; loss = scale * total (/ denominator).
  let terms: Value | undefined = e < 1 ? g.mul(picked, trueWeight) : undefined;
  let scale = -(1 - e);
  if (e > 0) {
    // sum_c w_c log p_c per element, over the class axis.
    const weighted = weight ? g.mul(logp, g.constant(weight, dtype, classColumnDims(weight.length, rank, axis))) : logp;
    const smooth = g.reduceSum(weighted, [axis], true);
    // Coefficient of the smoothing term relative to `scale`: e / C / (1 - e), or e / C alone when e == 1.
    const coefficient = smoothingCoefficient(g, x, axis, classes, e);
    const smoothTerm = g.mul(smooth, g.where(ignored, zero, coefficient));
    terms = terms ? g.add(terms, smoothTerm) : smoothTerm;
    if (e === 1) scale = -1;
  }
  const total = g.reduceSum(terms!);
  const value = reduction === 'mean' ? g.div(total, g.reduceSum(trueWeight)) : total;
  return scale === -1 ? g.neg(value) : g.mul(value, scale);
}

/** e / (C (1 - e)) as a scalar (or [1] tensor when C is only known at run time); e / C when e == 1. */
function smoothingCoefficient(g: GraphBuilder, x: Value, axis: number, classes: Dim | undefined, e: number): Value {
  const factor = e === 1 ? 1 : e / (1 - e);
  const dtype = x.dtype ?? 'float32';
  if (typeof classes === 'number') return g.constant(factor / classes, dtype);
  // Shape's `end` is exclusive: for the last axis (-1) it is left out, as 0 would mean the first axis.
  const count = g.cast(g.op('Shape', [x], { start: axis, end: axis === -1 ? undefined : axis + 1 }), dtype);
  return g.div(g.constant(factor, dtype), count);
}

/** Dims that lay a per-class vector along `axis` of a rank-`rank` tensor: [C, 1, ..., 1]. */
function classColumnDims(classes: number, rank: number | undefined, axis: number): number[] {
  let trailing: number;
  if (axis < 0) trailing = -axis - 1;
  else if (rank !== undefined) trailing = rank - 1 - axis;
  else {
    throw new RangeError(`loss '${KIND}': class weights with label smoothing need the prediction's rank, or a negative classAxis (counted from the end)`);
  }
  return [classes, ...Array<number>(trailing).fill(1)];
}

function checkLabelShape(x: Value, labels: Value, axis: number): void {
  if (!labels.shape || !x.shape) return;
  const expected = x.shape.filter((_, i) => i !== axis);
  const l = labels.shape;
  const fits = l.length === expected.length && l.every((d, i) => typeof d !== 'number' || typeof expected[i] !== 'number' || d === expected[i]);
  if (!fits) {
    throw new RangeError(`loss '${KIND}': labels '${labels.name}' of shape [${l.join(', ')}] do not fit the prediction '${x.name}' ` +
      `of shape [${x.shape.join(', ')}] with classes on axis ${axis} (labels must be [${expected.join(', ')}])`);
  }
}
