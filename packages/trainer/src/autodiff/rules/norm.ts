// Normalisations: BatchNormalization in inference mode (fixed statistics), LayerNormalization and
// InstanceNormalization (which PyTorch also uses to export GroupNorm).
import { floatAttr } from '@ortrain/graph-builder';
import type { Value } from '@ortrain/graph-builder';
import { isStatic } from '../infer';
import type { GradContext, GradRule } from '../context';

/**
 * Ends the name of a BatchNormalization node whose mean and variance inputs are its own input's batch
 * statistics (training mode, written by ../../session/train-mode.ts): its rule differentiates through them.
 */
export const BATCH_STATISTICS = '/batch_statistics';

/**
 * BatchNormalization on its batch's statistics (mean and biased variance over every axis but the channel),
 * as PyTorch's BatchNorm in train mode. With xhat = (x - mean) / sqrt(var + eps), n values per channel and
 * sums over the same axes, the gradient through the statistics is the fused
 *   dx = scale / sqrt(var + eps) * (dy - sum(dy) / n - xhat * sum(dy * xhat) / n)
 * which is BatchNormalization(dy - xhat * sum(dy * xhat) / n; scale, 0, sum(dy) / n, var): five passes over
 * x where differentiating the statistics' ReduceMean/Sub/Mul nodes one by one takes about fifteen.
 */
function batchStatisticsGrad(c: GradContext): (Value | undefined)[] {
  const { g } = c;
  const x = c.x(0), scale = c.x(1), mean = c.x(3), variance = c.x(4);
  const rank = c.rank(x);
  const epsilon = floatAttr(c.attrs.float('epsilon', 1e-5));
  const axes = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
  const channels = scale.shape;
  const zero = channels && isStatic(channels) ? g.constant(new Array(channels[0]).fill(0), x.dtype!, channels) : g.sub(mean, mean);
  const ones = channels && isStatic(channels) ? g.constant(new Array(channels[0]).fill(1), x.dtype!, channels) : g.add(zero, 1);
  const xhat = c.typedOp('BatchNormalization', [x, ones, zero, mean, variance], { epsilon }, x);
  const dy = c.grad;
  const sumDy = c.reduceSum(dy, axes, false, channels);
  const sumDyXhat = c.reduceSum(g.mul(dy, xhat), axes, false, channels);
  let dx: Value | undefined;
  if (c.needs(0)) {
    // n = size(x) / channels, as a scalar of x's type.
    const xShape = x.shape;
    const n = xShape && isStatic(xShape) ? g.constant(xShape.reduce((a, b) => a * b, 1) / xShape[1], x.dtype!, [])
      : g.div(g.cast(g.op('Size', [x]), x.dtype!), g.cast(g.op('Size', [scale]), x.dtype!));
    // [C] against [N, C, ...]: trailing axes of size 1 after the channel.
    const perChannel = (v: Value) => (rank === 2 ? v : g.unsqueeze(v, axes.slice(1).map((a) => a - 1)));
    const corrected = g.sub(dy, g.mul(xhat, perChannel(g.div(sumDyXhat, n))));
    dx = c.typedOp('BatchNormalization', [corrected, scale, zero, g.div(sumDy, n), variance], { epsilon }, x);
  }
  return [dx, c.needs(1) ? sumDyXhat : undefined, c.needs(2) ? sumDy : undefined];
}

function batchNormGrad(c: GradContext): (Value | undefined)[] {
  const { g } = c;
  if (c.node.name?.endsWith(BATCH_STATISTICS)) return batchStatisticsGrad(c);
  if (c.attrs.int('training_mode', 0) === 1 || (c.node.output ?? []).filter(Boolean).length > 1) {
    c.fail('training mode (batch statistics) is not supported; export the model in eval mode');
  }
  const x = c.x(0), scale = c.x(1), mean = c.x(3), variance = c.x(4);
  const rank = c.rank(x);
  const epsilon = floatAttr(c.attrs.float('epsilon', 1e-5));
  const channels = scale.shape;
  // BatchNormalization itself applies the per-channel 1/sqrt(var + eps), broadcast over the channel axis:
  //   dx = BN(dy; scale, 0, 0, var) = dy * scale / sqrt(var + eps)
  //   xhat = BN(x; 1, 0, mean, var) = (x - mean) / sqrt(var + eps)
  const zero = channels && isStatic(channels) ? g.constant(new Array(channels[0]).fill(0), x.dtype!, channels) : g.sub(mean, mean);
  const axes = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
  const dx = c.needs(0) ? c.typedOp('BatchNormalization', [c.grad, scale, zero, zero, variance], { epsilon }, x) : undefined;
  let dscale: Value | undefined;
  if (c.needs(1)) {
    const ones = channels && isStatic(channels) ? g.constant(new Array(channels[0]).fill(1), x.dtype!, channels) : g.add(zero, 1);
    const xhat = c.typedOp('BatchNormalization', [x, ones, zero, mean, variance], { epsilon }, x);
    dscale = c.reduceSum(g.mul(c.grad, xhat), axes, false, scale.shape);
  }
  const db = c.needs(2) ? c.reduceSum(c.grad, axes, false, c.x(2).shape) : undefined;
  return [dx, dscale, db];
}

function layerNormGrad(c: GradContext): (Value | undefined)[] {
  const { g } = c;
  const x = c.x(0);
  const rank = c.rank(x);
  const axis = c.axis(c.attrs.int('axis', -1), rank);
  const axes = Array.from({ length: rank - axis }, (_, i) => axis + i);
  if (!c.node.output?.[1] || !c.node.output?.[2]) c.fail('the Mean and InvStdDev outputs are needed for the gradient');
  const dtype = x.dtype!;
  const mean = g.cast(c.y(1), dtype);
  const invStd = g.cast(c.y(2), dtype);
  const xhat = g.mul(g.sub(x, mean), invStd);
  const dy = c.grad;
  const yShape = c.y().shape;
  let dx: Value | undefined;
  if (c.needs(0)) {
    // dx = invstd * (gs - mean(gs) - xhat * mean(gs * xhat)), gs = dy * scale, means over the normalised axes
    const gs = g.mul(dy, c.x(1));
    const m1 = g.reduceMean(gs, axes, true);
    const m2 = g.reduceMean(g.mul(gs, xhat), axes, true);
    dx = g.mul(g.sub(g.sub(gs, m1), g.mul(xhat, m2)), invStd);
  }
  const dscale = c.needs(1) ? c.reduceTo(g.mul(dy, xhat), yShape, c.x(1)) : undefined;
  const db = c.has(2) && c.needs(2) ? c.reduceTo(dy, yShape, c.x(2)) : undefined;
  return [dx, dscale, db];
}

/** Instance normalisation: LayerNormalization's gradient over the spatial axes, with a per-channel scale. */
function instanceNormGrad(c: GradContext): (Value | undefined)[] {
  const { g } = c;
  const x = c.x(0);
  const rank = c.rank(x);
  const eps = c.attrs.float('epsilon', 1e-5);
  const spatial = Array.from({ length: rank - 2 }, (_, i) => i + 2);
  const perChannel = (v: Value) => g.unsqueeze(v, spatial.map((a) => a - 1));
  const centred = g.sub(x, g.reduceMean(x, spatial, true));
  const invStd = g.reciprocal(g.sqrt(g.add(g.reduceMean(g.mul(centred, centred), spatial, true), eps)));
  const xhat = g.mul(centred, invStd);
  const dy = c.grad;
  let dx: Value | undefined;
  if (c.needs(0)) {
    const gs = g.mul(dy, perChannel(c.x(1)));
    const m1 = g.reduceMean(gs, spatial, true);
    const m2 = g.reduceMean(g.mul(gs, xhat), spatial, true);
    dx = g.mul(g.sub(g.sub(gs, m1), g.mul(xhat, m2)), invStd);
  }
  const axes = [0, ...spatial];
  const dscale = c.needs(1) ? c.reduceSum(g.mul(dy, xhat), axes, false, c.x(1).shape) : undefined;
  const db = c.needs(2) ? c.reduceSum(dy, axes, false, c.x(2).shape) : undefined;
  return [dx, dscale, db];
}

export const normRules: Record<string, GradRule> = {
  InstanceNormalization: { grad: instanceNormGrad },
  BatchNormalization: { grad: batchNormGrad, nondiff: [3, 4] },
  LayerNormalization: { grad: layerNormGrad },
};
