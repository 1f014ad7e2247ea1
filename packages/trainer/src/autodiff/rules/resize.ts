// Resize in nearest mode with whole-number scales: every input element is copied into an s0 x s1 x ...
// block of the output, so its gradient is the sum over its block (one Reshape and one ReduceSum).
import type { Dim, Value } from '@ortrain/graph-builder';
import type { GradContext, GradRule } from '../context';

function resizeGrad(c: GradContext): (Value | undefined)[] {
  const { g } = c;
  const x = c.x(0);
  const rank = c.rank(x);
  const xs = x.shape!;
  const a = c.attrs;
  const mode = a.string('mode', 'nearest');
  if (mode !== 'nearest') c.fail(`mode '${mode}' has no gradient rule (only 'nearest' with whole-number scales)`);
  const axes = (a.ints('axes') ?? Array.from({ length: rank }, (_, i) => i)).map((ax) => c.axis(ax, rank));
  const ins = c.node.input ?? [];
  const scalesIn = c.table.values(ins[2]);
  const sizesIn = c.table.values(ins[3]);
  const scales = new Array(rank).fill(1);
  if (scalesIn && scalesIn.length) axes.forEach((ax, k) => (scales[ax] = Number(scalesIn[k])));
  else if (sizesIn && sizesIn.length) {
    axes.forEach((ax, k) => {
      const d = xs[ax];
      if (typeof d !== 'number' || typeof sizesIn[k] !== 'number') c.fail('sizes need static input sizes for the gradient');
      scales[ax] = (sizesIn[k] as number) / d;
    });
  } else c.fail('scales or sizes computed at run time are not supported');
  if (scales.some((s) => !Number.isInteger(s) || s < 1)) c.fail(`scales [${scales.join(', ')}] are not whole numbers >= 1`);
  // Whole-number scales map output i to input floor(i / s) under these coordinate modes.
  const ctm = a.string('coordinate_transformation_mode', 'half_pixel');
  const nearest = a.string('nearest_mode', 'round_prefer_floor');
  const blocks = ctm === 'half_pixel' || ctm === 'pytorch_half_pixel' ||
    (ctm === 'asymmetric' && (nearest === 'floor' || (nearest === 'round_prefer_floor' && scales.every((s) => s <= 2))));
  if (!blocks) c.fail(`coordinate_transformation_mode '${ctm}' with nearest_mode '${nearest}' has no gradient rule`);
  // dY [.., d_i * s_i, ..] -> [.., d_i, s_i, ..] summed over the s_i axes.
  const target: Dim[] = [];
  const sumAxes: number[] = [];
  xs.forEach((d, i) => {
    target.push(d);
    if (scales[i] > 1) { sumAxes.push(target.length); target.push(scales[i]); }
  });
  if (sumAxes.length === 0) return [c.grad];
  const symbolic = target.filter((d) => typeof d !== 'number').length;
  const shape = symbolic <= 1
    ? g.ints(target.map((d) => (typeof d === 'number' ? d : -1)))
    : g.concat(xs.flatMap((d, i) => [typeof d === 'number' ? g.ints([d]) : c.shapeSlice(x, i, i + 1), ...(scales[i] > 1 ? [g.ints([scales[i]])] : [])]), 0);
  return [c.reduceSum(g.reshape(c.grad, shape), sumAxes, false, xs)];
}

export const resizeRules: Record<string, GradRule> = {
  Resize: { grad: resizeGrad, nondiff: [1, 2, 3] },
};
