// Convolution (1-D, 2-D, 3-D; strides, pads, auto_pad, dilations, groups) and its transpose: the input
// gradient of one is the other with the same weights, the weight gradient a Conv in which the data plays
// the weights' part, grouped so that depthwise convolutions stay one node.
import type { DType, Dim, Value } from '@ortrain/graph-builder';
import type { GradContext, GradRule } from '../context';
import { isStatic } from '../infer';
import { Window, readWindow } from '../window';

export function convWindow(c: GradContext): { w: Window; pads: number[]; n: number } {
  const x = c.x(0), wt = c.x(1);
  const rank = c.rank(x);
  const spatial = x.shape!.slice(2);
  const kernel = wt.shape && isStatic(wt.shape.slice(2)) ? (wt.shape.slice(2) as number[]) : undefined;
  const w = readWindow(c.attrs, spatial, kernel);
  if (!w.pads) c.fail(`auto_pad ${w.autoPad} with input sizes unknown until run time (${JSON.stringify(spatial)}) is not supported`);
  return { w, pads: w.pads, n: rank - 2 };
}

/** dX: ConvTranspose of dY, padded or cropped at the end so that it has X's spatial size. */
export function transposedInput(c: GradContext, dy: Value, weight: Value, w: Window, pads: number[], group: number,
  out: readonly Dim[] | undefined, like: { dtype?: DType; shape?: readonly Dim[] }): Value {
  const { g } = c;
  const x = c.x(0);
  const n = w.kernel.length;
  const xs = x.shape!.slice(2);
  const common = { strides: w.strides, dilations: w.dilations, group: group === 1 ? undefined : group };
  if (isStatic(xs) && out && isStatic(out.slice(2))) {
    const ys = out.slice(2) as number[];
    const endPads: number[] = [], outPad: number[] = [];
    for (let i = 0; i < n; i++) {
      const total = w.strides[i] * (ys[i] - 1) + (w.kernel[i] - 1) * w.dilations[i] + 1 - pads[i];
      endPads.push(Math.max(0, total - xs[i]));
      outPad.push(Math.max(0, xs[i] - total));
    }
    return c.typedOp('ConvTranspose', [dy, weight], {
      ...common, kernel_shape: w.kernel, pads: [...pads.slice(0, n), ...endPads],
      output_padding: outPad.some((p) => p > 0) ? outPad : undefined,
    }, like);
  }
  // Sizes known only at run time: keep the begin pads, then pad (or crop, with negative pads) the end.
  const full = g.op('ConvTranspose', [dy, weight], { ...common, kernel_shape: w.kernel, pads: [...pads.slice(0, n), ...new Array(n).fill(0)] });
  const diff = g.sub(c.shapeSlice(x, 2), c.shapeSlice(full, 2));
  const padSpec = g.concat([g.ints(new Array(n + 4).fill(0)), diff], 0);
  return c.typedOp('Pad', [full, padSpec], {}, like);
}

/**
 * The weight gradient of a convolution that reads `input` (spatial sizes `inSizes`) and produced a tensor
 * whose gradient is `outGrad` (sizes `outSizes`): dW[m, c, k] = sum over n, o of outGrad[n, m, o] *
 * inputPadded[n, c, o*stride + k*dilation], as one Conv in which the input plays the weights' part
 * (strides and dilations swapped), grouped so that depthwise convolutions stay one node. The result has
 * shape [M, Cg, k] with M = outGrad's channels and Cg = input channels per group.
 */
function weightGrad(c: GradContext, input: Value, inSizes: readonly Dim[], outGrad: Value, outSizes: readonly Dim[] | undefined,
  M: number, Cg: number, group: number, w: Window, pads: number[], like: Value): Value {
  const { g } = c;
  const n = w.kernel.length;
  const spatialAxes = Array.from({ length: n }, (_, i) => i + 2);
  const Mg = M / group;
  const perm01 = [1, 0, ...spatialAxes];
  // Shapes for the grouped reshapes: constant when spatial sizes are static, from Shape nodes otherwise.
  const withSpatial = (lead: number[], of: Value, sizes: readonly Dim[] | undefined): Value | number[] =>
    sizes && isStatic(sizes) ? [...lead, ...sizes] : g.concat([g.ints(lead), c.shapeSlice(of, 2)], 0);
  let data: Value, kernel: Value;
  if (group === 1) {
    data = swap01(c, input); //     [C, N, S]
    kernel = swap01(c, outGrad); // [M, N, O]
  } else {
    // input [N, G*Cg, S] -> [Cg, G*N, S];  outGrad [N, G*Mg, O] -> [G*Mg, N, O]
    const x5 = g.reshape(input, withSpatial([0, group, Cg], input, inSizes));
    data = g.reshape(g.transpose(x5, [2, 1, 0, ...spatialAxes.map((a) => a + 1)]), withSpatial([Cg, -1], input, inSizes));
    const y5 = g.reshape(outGrad, withSpatial([0, group, Mg], outGrad, outSizes));
    kernel = g.reshape(g.transpose(y5, [1, 2, 0, ...spatialAxes.map((a) => a + 1)]), withSpatial([M, -1], outGrad, outSizes));
  }
  let r = g.op('Conv', [data, kernel], { strides: w.dilations, dilations: w.strides, pads, group: group === 1 ? undefined : group });
  // The swapped convolution may reach past the kernel's extent: keep the first k positions.
  let needSlice = true;
  if (isStatic(inSizes) && outSizes && isStatic(outSizes)) {
    needSlice = inSizes.some((d, i) => {
      const span = d + pads[i] + pads[i + n] - ((outSizes[i] - 1) * w.strides[i] + 1);
      return Math.floor(span / w.dilations[i]) + 1 !== w.kernel[i];
    });
  }
  if (needSlice) r = g.slice(r, new Array(n).fill(0), w.kernel, spatialAxes);
  // [M, Cg, k] from [Cg, M, k]: with one input channel per group (Cg = 1) a free Reshape, not a copy.
  return Cg === 1 ? c.typedOp('Reshape', [r, g.ints([M, 1, ...w.kernel])], {}, like) : c.typedOp('Transpose', [r], { perm: perm01 }, like);
}

/** v with its first two axes swapped: a Reshape (no copy) when one of them has size 1, else a Transpose. */
function swap01(c: GradContext, v: Value): Value {
  const s = v.shape;
  if (s && s.length >= 2 && (s[0] === 1 || s[1] === 1)) {
    const target = [s[1], s[0], ...s.slice(2)];
    // At most one size unknown until run time: it becomes Reshape's -1.
    if (target.filter((d) => typeof d !== 'number').length <= 1) {
      return c.typedOp('Reshape', [v, c.g.ints(target.map((d) => (typeof d === 'number' ? d : -1)))], {}, { dtype: v.dtype, shape: target });
    }
  }
  return c.g.transpose(v, [1, 0, ...Array.from({ length: c.rank(v) - 2 }, (_, i) => i + 2)]);
}

function staticChannels(c: GradContext, wt: Value): [number, number] {
  if (!wt.shape || !isStatic(wt.shape.slice(0, 2))) c.fail(`the weight '${wt.name}' needs static channel counts`);
  return [wt.shape[0] as number, wt.shape[1] as number];
}

function convGrad(c: GradContext): (Value | undefined)[] {
  const x = c.x(0), wt = c.x(1);
  const dy = c.grad;
  const { w, pads, n } = convWindow(c);
  const group = c.attrs.int('group', 1);
  const yShape = c.y().shape;
  const dx = c.needs(0) ? transposedInput(c, dy, wt, w, pads, group, yShape, x) : undefined;
  const db = c.has(2) && c.needs(2) ? c.reduceSum(dy, [0, ...Array.from({ length: n }, (_, i) => i + 2)], false, c.x(2).shape) : undefined;
  let dw: Value | undefined;
  if (c.needs(1)) {
    const [M, Cg] = staticChannels(c, wt);
    dw = weightGrad(c, x, x.shape!.slice(2), dy, yShape?.slice(2), M, Cg, group, w, pads, wt);
  }
  return [dx, dw, db];
}

/**
 * ConvTranspose is the adjoint of Conv in its input: dX is the Conv of dY with the same weights and
 * attributes; dW is the convolution weight gradient with dY as the data and X as the output gradient.
 */
function convTransposeGrad(c: GradContext): (Value | undefined)[] {
  const x = c.x(0), wt = c.x(1);
  const dy = c.grad;
  const rank = c.rank(x);
  const n = rank - 2;
  const autoPad = c.attrs.string('auto_pad', 'NOTSET');
  if ((autoPad !== 'NOTSET' && autoPad !== 'VALID') || c.attrs.has('output_shape')) {
    c.fail('auto_pad SAME and output_shape are not supported; give explicit pads and output_padding');
  }
  const kernel = wt.shape && isStatic(wt.shape.slice(2)) ? (wt.shape.slice(2) as number[]) : c.attrs.ints('kernel_shape');
  if (!kernel) c.fail(`the weight '${wt.name}' needs a static kernel size`);
  const w: Window = {
    kernel, strides: c.attrs.ints('strides') ?? kernel.map(() => 1), dilations: c.attrs.ints('dilations') ?? kernel.map(() => 1),
    pads: autoPad === 'VALID' ? new Array(2 * n).fill(0) : c.attrs.ints('pads') ?? new Array(2 * n).fill(0), autoPad: 'NOTSET', ceilMode: false,
  };
  const pads = w.pads!;
  const group = c.attrs.int('group', 1);
  const dx = c.needs(0)
    ? c.typedOp('Conv', [dy, wt], { kernel_shape: kernel, strides: w.strides, dilations: w.dilations, pads, group: group === 1 ? undefined : group }, x)
    : undefined;
  const db = c.has(2) && c.needs(2) ? c.reduceSum(dy, [0, ...Array.from({ length: n }, (_, i) => i + 2)], false, c.x(2).shape) : undefined;
  let dw: Value | undefined;
  if (c.needs(1)) {
    const [C, Mg] = staticChannels(c, wt);
    dw = weightGrad(c, dy, c.y().shape?.slice(2) ?? [], x, x.shape!.slice(2), C, Mg, group, w, pads, wt);
  }
  return [dx, dw, db];
}

export const convRules: Record<string, GradRule> = {
  Conv: { grad: convGrad },
  ConvTranspose: { grad: convTransposeGrad },
};
