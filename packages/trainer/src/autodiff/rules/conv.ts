// Convolution (1-D, 2-D, 3-D; strides, pads, auto_pad, dilations, groups): the input gradient is a
// ConvTranspose of the output gradient with the same weights, the weight gradient a Conv in which the input
// plays the weights' part, grouped so that depthwise convolutions stay one node.
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
  const diff = g.sub(g.op('Shape', [x], { start: 2 }), g.op('Shape', [full], { start: 2 }));
  const padSpec = g.concat([g.ints(new Array(n + 4).fill(0)), diff], 0);
  return c.typedOp('Pad', [full, padSpec], {}, like);
}

function convGrad(c: GradContext): (Value | undefined)[] {
  const { g } = c;
  const x = c.x(0), wt = c.x(1);
  const dy = c.grad;
  const { w, pads, n } = convWindow(c);
  const group = c.attrs.int('group', 1);
  const spatialAxes = Array.from({ length: n }, (_, i) => i + 2);
  const yShape = c.y().shape;

  const dx = c.needs(0) ? transposedInput(c, dy, wt, w, pads, group, yShape, x) : undefined;
  const db = c.has(2) && c.needs(2) ? c.reduceSum(dy, [0, ...spatialAxes], false, c.x(2).shape) : undefined;

  let dw: Value | undefined;
  if (c.needs(1)) {
    if (!wt.shape || !isStatic(wt.shape.slice(0, 2))) c.fail(`the weight '${wt.name}' needs a static output and input channel count`);
    const [M, Cg] = wt.shape as number[];
    const Mg = M / group;
    const swapped = { strides: w.dilations, dilations: w.strides, pads };
    const perm01 = [1, 0, ...spatialAxes];
    const xs = x.shape!.slice(2);
    const ys = yShape?.slice(2);
    // Shapes for the grouped reshapes: constant when spatial sizes are static, from Shape nodes otherwise.
    const withSpatial = (lead: number[], of: Value, sizes: readonly Dim[] | undefined): Value | number[] =>
      sizes && isStatic(sizes) ? [...lead, ...sizes] : g.concat([g.ints(lead), g.op('Shape', [of], { start: 2 })], 0);
    const reshape = (v: Value, s: Value | number[]) => g.reshape(v, s);
    let input: Value, kernel: Value;
    if (group === 1) {
      input = g.transpose(x, perm01); //  [C, N, S]
      kernel = g.transpose(dy, perm01); // [M, N, O]
    } else {
      // X [N, G*Cg, S] -> [Cg, G*N, S];  dY [N, G*Mg, O] -> [G*Mg, N, O]; one Conv with `group` groups.
      const x5 = reshape(x, withSpatial([0, group, Cg], x, xs));
      input = reshape(g.transpose(x5, [2, 1, 0, ...spatialAxes.map((a) => a + 1)]), withSpatial([Cg, -1], x, xs));
      const y5 = reshape(dy, withSpatial([0, group, Mg], dy, ys));
      kernel = reshape(g.transpose(y5, [1, 2, 0, ...spatialAxes.map((a) => a + 1)]), withSpatial([M, -1], dy, ys));
    }
    let r = g.op('Conv', [input, kernel], { ...swapped, group: group === 1 ? undefined : group });
    // The swapped convolution may reach past the kernel's extent: keep the first k positions.
    let needSlice = true;
    if (isStatic(xs) && ys && isStatic(ys)) {
      needSlice = xs.some((d, i) => {
        const span = d + pads[i] + pads[i + n] - ((ys[i] - 1) * w.strides[i] + 1);
        return Math.floor(span / w.dilations[i]) + 1 !== w.kernel[i];
      });
    }
    if (needSlice) r = g.slice(r, new Array(n).fill(0), w.kernel, spatialAxes);
    dw = c.typedOp('Transpose', [r], { perm: perm01 }, wt);
  }
  return [dx, dw, db];
}

export const convRules: Record<string, GradRule> = {
  Conv: { grad: convGrad },
};
