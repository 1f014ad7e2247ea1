// Pooling: MaxPool routes the gradient to each window's first maximum, AveragePool spreads it back with a
// ConvTranspose of ones, scaled by each window's divisor.
import type { Value } from '@ortrain/graph-builder';
import { fillValue } from '../context';
import type { GradContext, GradRule } from '../context';
import { isStatic } from '../infer';
import { readWindow, windowOutput } from '../window';
import { transposedInput } from './conv';

/**
 * Whether a MaxPool's windows tile the input without overlap or padding (kernel = strides, static sizes):
 * then reshapes and transposes gather each window, cheaper than the general unfold below.
 */
function tilingMaxPool(c: GradContext): boolean {
  const xs = c.x(0).shape;
  if (!xs || !isStatic(xs.slice(2))) return false;
  const a = c.attrs;
  const k = a.ints('kernel_shape');
  if (!k) return false;
  const strides = a.ints('strides') ?? k.map(() => 1);
  const pads = a.ints('pads') ?? [];
  const autoPad = a.string('auto_pad', 'NOTSET');
  return k.every((d, i) => strides[i] === d) && (a.ints('dilations') ?? []).every((d) => d === 1) &&
    pads.every((p) => p === 0) && (autoPad === 'NOTSET' || autoPad === 'VALID') && a.int('ceil_mode', 0) === 0;
}

/**
 * Square 2-D tiling windows (the common MaxPool(k, k)): SpaceToDepth moves each window offset into the
 * channels, ArgMax over the offsets picks each window's first maximum (torch's choice among ties), a float
 * one-hot mask times dY routes the gradient (a Where costs more in ORT), and the result goes back in place.
 * Two layouts, by measurement (scripts/window-layout-forms.ts, profile-training-graph.ts): with large
 * output planes, plane by plane ([N*C, K, y0, y1]) and a one-hot ConvTranspose back, faster than
 * DepthToSpace there; with small planes (lenet's 4x4 second pool) the ConvTranspose's per-plane cost and
 * the short broadcast spans dominate, so the whole tensor ([N, K*C, y0, y1], offset-major) and DepthToSpace.
 * `x` is cropped to whole windows.
 */
function squareTilingMaxPoolGrad(c: GradContext, x: Value, dY: Value, b: number, ys: number[]): Value {
  const { g } = c;
  const K = b * b;
  const dtype = c.x(0).dtype ?? 'float32';
  const sizes = ys.map((d) => d * b);
  const [batch, channels] = c.x(0).shape!;
  const offsets = (rank: number) => g.constant([...Array(K).keys()], 'int64', [K, ...new Array(rank - 2).fill(1)]);
  if (ys[0] * ys[1] < PLANE_MIN) {
    const C = typeof channels === 'number' ? channels : -1;
    const windows = g.reshape(g.op('SpaceToDepth', [x], { blocksize: b }), [0, K, C, ...ys]);
    const first = g.op('ArgMax', [windows], { axis: 1, keepdims: 1 }, { dtypes: ['int64'] });
    const routed = g.mul(g.cast(g.equal(first, offsets(5)), dtype), g.unsqueeze(dY, [1]));
    const depth = typeof channels === 'number' ? g.ints([0, K * channels, ...ys]) : g.ints([0, -1, ...ys]);
    return c.typedOp('DepthToSpace', [g.reshape(routed, depth)], { blocksize: b, mode: 'DCR' }, { dtype, shape: [batch, channels, ...sizes] });
  }
  const windows = g.op('SpaceToDepth', [g.reshape(x, [-1, 1, ...sizes])], { blocksize: b });
  const first = g.op('ArgMax', [windows], { axis: 1, keepdims: 1 }, { dtypes: ['int64'] });
  const routed = g.mul(g.cast(g.equal(first, offsets(4)), dtype), g.reshape(dY, [-1, 1, ...ys]));
  const oneHot = new Float32Array(K * K);
  for (let j = 0; j < K; j++) oneHot[j * K + j] = 1;
  const back = g.op('ConvTranspose', [routed, g.constant(oneHot, dtype, [K, 1, b, b])], { kernel_shape: [b, b], strides: [b, b] });
  const target = typeof channels === 'number' ? g.ints([-1, channels, ...sizes]) : g.concat([c.shapeSlice(c.x(0), 0, 2), g.ints(sizes)], 0);
  return c.typedOp('Reshape', [back, target], {}, { dtype, shape: [batch, channels, ...sizes] });
}

/** Output planes of at least this many elements go plane by plane (see squareTilingMaxPoolGrad). */
const PLANE_MIN = 64;

/** Tiling windows: each window's first maximum (torch's choice) by ArgMax over the window's elements. */
function tilingMaxPoolGrad(c: GradContext, dY: Value): Value {
  const { g } = c;
  let x = c.x(0);
  const xs = x.shape!.slice(2) as number[];
  const n = xs.length;
  const k = c.attrs.ints('kernel_shape')!;
  const ys = xs.map((d, i) => Math.floor(d / k[i]));
  const spatial = Array.from({ length: n }, (_, i) => i + 2);
  const cropped = xs.some((d, i) => d !== ys[i] * k[i]);
  if (cropped) x = g.slice(x, new Array(n).fill(0), ys.map((d, i) => d * k[i]), spatial);
  const K = k.reduce((a, b) => a * b, 1);
  if (n === 2 && k[0] === k[1]) {
    const back = squareTilingMaxPoolGrad(c, x, dY, k[0], ys);
    if (!cropped) return back;
    const pads = [0, 0, 0, 0, 0, 0, ...xs.map((d, i) => d - ys[i] * k[i])];
    return c.typedOp('Pad', [back, g.ints(pads)], {}, c.x(0));
  }
  // [N, C, y0, k0, y1, k1] -> [N, C, y0, y1, k0, k1] -> [N, C, y0, y1, K]
  const split = [0, 0, ...ys.flatMap((d, i) => [d, k[i]])];
  const perm = [0, 1, ...ys.map((_, i) => 2 + 2 * i), ...ys.map((_, i) => 3 + 2 * i)];
  const windows = g.reshape(g.transpose(g.reshape(x, split), perm), [0, 0, ...ys, K]);
  const first = g.op('ArgMax', [windows], { axis: -1, keepdims: 1 }, { dtypes: ['int64'] });
  const mask = g.equal(first, g.constant([...Array(K).keys()], 'int64', [K]));
  const routed = g.where(mask, g.unsqueeze(dY, [-1]), 0);
  const inverse = new Array(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  const back = g.reshape(g.transpose(g.reshape(routed, [0, 0, ...ys, ...k]), inverse), [0, 0, ...ys.map((d, i) => d * k[i])]);
  if (!cropped) return c.reshapeLike(back, c.x(0).shape, c.x(0));
  const pads = [...new Array(n + 2).fill(0), 0, 0, ...xs.map((d, i) => d - ys[i] * k[i])];
  return c.typedOp('Pad', [back, g.ints(pads)], {}, c.x(0));
}

/** MaxPool's gradient: tiling windows as above, any others by unfolding (below). */
function maxPoolGrad(c: GradContext): (Value | undefined)[] {
  // After a Relu the ReLU mask goes on dY here, (Y > 0) over the pooled tensor, instead of on the input's
  // larger gradient in the Relu's rule: dY reaches only each window's first maximum, whose Relu output is
  // Y itself, so the two masks agree (ties included). The Relu's rule then passes this gradient on as it
  // is when it is the only one (lenet: about 80 us of the 100 its mask took on the first pool).
  const afterRelu = c.producerOp(c.x(0)) === 'Relu';
  const dY = afterRelu ? c.g.where(c.g.greater(c.y(), 0), c.grad, 0) : c.grad;
  const dX = tilingMaxPool(c) ? tilingMaxPoolGrad(c, dY) : unfoldMaxPoolGrad(c, dY);
  if (afterRelu) c.markReluMasked(dX);
  return [dX];
}

/**
 * MaxPool without its Indices output (which the WebGPU provider lacks, and which on the CPU provider costs
 * more than the whole backward here: on lenet's first pool, batch 32, one thread, onnxruntime 1.30's MaxPool
 * with Indices took about 490 us against 40 for the plain one, and a ScatterElements(add) of dY back 130
 * more, against about 320 for the tiling gradient above; scripts/maxpool-indices-forms.ts): every (batch, channel) plane is
 * unfolded into its windows by a Conv with one-hot kernels (after padding with a very negative value),
 * ArgMax picks each window's first maximum (torch's choice among ties), and a ConvTranspose with the same
 * one-hot kernels puts dY back at those positions, adding where windows overlap.
 */
function unfoldMaxPoolGrad(c: GradContext, dY: Value): Value {
  const { g } = c;
  const x = c.x(0);
  const rank = c.rank(x);
  const n = rank - 2;
  const xs = x.shape!.slice(2);
  const w = readWindow(c.attrs, xs, undefined);
  if (!w.pads) c.fail(`auto_pad ${w.autoPad} with input sizes unknown until run time is not supported`);
  const pads = [...w.pads];
  const ys = windowOutput(w, xs);
  if (w.ceilMode) {
    if (!isStatic(xs)) c.fail('ceil_mode with input sizes unknown until run time is not supported');
    // Windows that run past the end read padding there.
    for (let i = 0; i < n; i++) {
      const reach = ((ys[i] as number) - 1) * w.strides[i] + (w.kernel[i] - 1) * w.dilations[i] + 1;
      pads[n + i] = Math.max(pads[n + i], reach - (xs[i] as number) - pads[i]);
    }
  }
  const dtype = x.dtype ?? 'float32';
  const K = w.kernel.reduce((a, b) => a * b, 1);
  const oneHot = new Float32Array(K * K);
  for (let j = 0; j < K; j++) oneHot[j * K + j] = 1;
  const kernels = g.constant(oneHot, dtype, [K, 1, ...w.kernel]);
  const planeShape = (v: Value, sizes: readonly (number | string | undefined)[]) => sizes.every((d) => typeof d === 'number')
    ? g.ints([-1, 1, ...(sizes as number[])])
    : g.concat([g.ints([-1, 1]), c.shapeSlice(v, 2)], 0);
  let planes = g.reshape(x, planeShape(x, xs));
  if (pads.some((p) => p > 0)) {
    planes = g.op('Pad', [planes, g.ints([0, 0, ...pads.slice(0, n), 0, 0, ...pads.slice(n)]), g.constant(-3e38, dtype)]);
  }
  const windows = g.op('Conv', [planes, kernels], { kernel_shape: w.kernel, strides: w.strides, dilations: w.dilations });
  const first = g.op('ArgMax', [windows], { axis: 1, keepdims: 1 }, { dtypes: ['int64'] });
  const mask = g.equal(first, g.constant([...Array(K).keys()], 'int64', [K, ...new Array(n).fill(1)]));
  const yShape = c.y().shape;
  const routed = g.where(mask, g.reshape(dY, planeShape(dY, yShape?.slice(2) ?? ys)), 0);
  const spread = transposedInput(c, routed, kernels, w, w.pads, 1, yShape && [1, K, ...yShape.slice(2)], { dtype, shape: undefined });
  return c.reshapeLike(spread, undefined, x);
}

function averagePoolGrad(c: GradContext): (Value | undefined)[] {
  const { g } = c;
  const x = c.x(0);
  const rank = c.rank(x);
  const n = rank - 2;
  const xs = x.shape!.slice(2);
  const w = readWindow(c.attrs, xs, undefined);
  if (!w.pads) c.fail(`auto_pad ${w.autoPad} with input sizes unknown until run time is not supported`);
  const ys = windowOutput(w, xs);
  const dtype = x.dtype ?? 'float32';
  // The divisor of each window, measured the way the forward op counts it: a ones image pooled with the same
  // attributes gives (elements inside the input) / divisor; a Conv of ones counts the elements inside.
  const onesShape = isStatic(xs) ? g.ints([1, 1, ...xs]) : g.concat([g.ints([1, 1]), c.shapeSlice(x, 2)], 0);
  const ones = g.op('ConstantOfShape', [onesShape], { value: fillValue(dtype, 1) }, { dtypes: [dtype] });
  const kernel = g.constant(new Float32Array(w.kernel.reduce((a, b) => a * b, 1)).fill(1), dtype, [1, 1, ...w.kernel]);
  const pooled = g.op('AveragePool', [ones], attrsOf(c) as never);
  let endPads = w.pads.slice(n);
  if (w.ceilMode) {
    if (!isStatic(xs)) c.fail('ceil_mode with input sizes unknown until run time is not supported');
    endPads = endPads.map((p, i) => Math.max(p, ((ys[i] as number) - 1) * w.strides[i] + (w.kernel[i] - 1) * w.dilations[i] + 1 - (xs[i] as number) - w.pads![i]));
  }
  const inside = g.op('Conv', [ones, kernel], { strides: w.strides, dilations: w.dilations, pads: [...w.pads.slice(0, n), ...endPads] });
  const scale = g.div(pooled, inside);
  // Every (batch, channel) plane is spread back with one ones-kernel ConvTranspose.
  const dyShape = c.y().shape;
  const planes = g.reshape(g.mul(c.grad, scale), dyShape && isStatic(dyShape.slice(2)) ? [-1, 1, ...(dyShape.slice(2) as number[])] : g.concat([g.ints([-1, 1]), c.shapeSlice(c.grad, 2)], 0));
  const planeShape = dyShape && [1, 1, ...dyShape.slice(2)];
  const spread = transposedInput(c, planes, kernel, w, w.pads, 1, planeShape, { dtype, shape: undefined });
  return [c.reshapeLike(spread, undefined, x)];
}

function attrsOf(c: GradContext): Record<string, unknown> {
  const a = c.attrs;
  return {
    kernel_shape: a.ints('kernel_shape'), strides: a.ints('strides'), pads: a.ints('pads'), dilations: a.ints('dilations'),
    auto_pad: a.has('auto_pad') ? a.string('auto_pad', 'NOTSET') : undefined,
    ceil_mode: a.has('ceil_mode') ? a.int('ceil_mode', 0) : undefined,
    count_include_pad: a.has('count_include_pad') ? a.int('count_include_pad', 0) : undefined,
  };
}

function globalAverageGrad(c: GradContext): (Value | undefined)[] {
  const { g } = c;
  const x = c.x(0);
  const sp = x.shape?.slice(2);
  if (sp && isStatic(sp)) {
    const count = sp.reduce((a, b) => a * b, 1);
    return [c.typedOp('Expand', [g.mul(c.grad, 1 / count), g.ints([1, 1, ...sp])], {}, x)];
  }
  const full = c.typedOp('Expand', [c.grad, c.shapeOf(x)], {}, x);
  const count = g.cast(g.div(g.size(x), g.size(c.y())), x.dtype!);
  return [g.div(full, count)];
}

function globalMaxGrad(c: GradContext): (Value | undefined)[] {
  const { g } = c;
  const x = c.x(0);
  const mask = g.cast(g.equal(x, c.y()), x.dtype!);
  const rank = c.rank(x);
  const ties = c.reduceSum(mask, Array.from({ length: rank - 2 }, (_, i) => i + 2), true);
  return [g.mul(mask, g.div(c.grad, ties))];
}


export const poolRules: Record<string, GradRule> = {
  MaxPool: { grad: maxPoolGrad },
  AveragePool: { grad: averagePoolGrad },
  GlobalAveragePool: { grad: globalAverageGrad },
  GlobalMaxPool: { grad: globalMaxGrad },
};
