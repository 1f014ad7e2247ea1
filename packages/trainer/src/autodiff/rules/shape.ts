// Shape and data-movement ops: the gradient moves back the way the data came.
import { Value, toOnnxDataType } from '@ortrain/graph-builder';
import { fillValue } from '../context';
import type { GradContext, GradRule } from '../context';
import { isStatic, sliceParams, sliceRange } from '../infer';

/** Ops that only rearrange elements: the gradient takes the input's shape back. */
const reshapeBack = (c: GradContext) => [c.reshapeLike(c.grad, c.y().shape, c.x(0))];

function transposeGrad(c: GradContext): (Value | undefined)[] {
  const rank = c.rank(c.x(0));
  const perm = c.attrs.ints('perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const inverse = new Array(rank);
  perm.forEach((p, i) => (inverse[p] = i));
  return [c.typedOp('Transpose', [c.grad], { perm: inverse }, c.x(0))];
}

function concatGrad(c: GradContext): (Value | undefined)[] {
  const { g } = c;
  const inputs = c.node.input ?? [];
  const rank = c.rank(c.x(0));
  const axis = c.axis(c.attrs.int('axis', 0), rank);
  if (inputs.length === 1) return [c.grad];
  const sizes = inputs.map((_, i) => c.x(i).shape?.[axis]);
  const split = sizes.every((s) => typeof s === 'number')
    ? g.ints(sizes as number[])
    : g.concat(inputs.map((_, i) => (typeof sizes[i] === 'number' ? g.ints([sizes[i] as number]) : c.shapeSlice(c.x(i), axis, axis + 1))), 0);
  const parts = g.node('Split', [c.grad, split], { axis }, { outputs: inputs.length });
  return parts.map((p, i) => (c.needs(i) ? new Value(p.name, c.x(i).dtype, c.x(i).shape) : undefined));
}

function splitGrad(c: GradContext): (Value | undefined)[] {
  const outs = (c.node.output ?? []).filter(Boolean);
  const rank = c.rank(c.x(0));
  const axis = c.axis(c.attrs.int('axis', 0), rank);
  const pieces = outs.map((_, i) => c.dy(i) ?? c.zerosLike(c.y(i)));
  return [c.typedOp('Concat', pieces, { axis }, c.x(0))];
}

function sliceGrad(c: GradContext): (Value | undefined)[] {
  const { g } = c;
  const x = c.x(0);
  const rank = c.rank(x);
  const xs = x.shape!;
  const p = sliceParams(c.table, c.node, c.attrs, rank);
  if (p) {
    // Steps of 1 along axes of known extent: the gradient is dY padded with zeros, one Pad node.
    const begin = new Array(rank).fill(0), end = new Array(rank).fill(0);
    let padOk = true;
    p.axes.forEach((a, k) => {
      if (p.steps[k] !== 1) { padOk = false; return; }
      const d = xs[a];
      if (typeof d === 'number') {
        const kept = sliceRange(d, p.starts[k], p.ends[k], 1);
        if (kept.length === 0) { padOk = false; return; }
        begin[a] = kept[0];
        end[a] = d - kept[kept.length - 1] - 1;
      } else if (p.starts[k] >= 0 && p.ends[k] >= 2 ** 31 - 1) {
        begin[a] = p.starts[k];
      } else padOk = false;
    });
    if (padOk) return [c.typedOp('Pad', [c.grad, g.ints([...begin, ...end])], {}, x)];
    if (isStatic(xs)) {
      // Known positions: scatter dY into zeros at the flat indices the slice read.
      const ranges = xs.map((d, a) => {
        const k = p.axes.indexOf(a);
        return k < 0 ? [...Array(d).keys()] : sliceRange(d, p.starts[k], p.ends[k], p.steps[k]);
      });
      const strides = xs.map((_, a) => xs.slice(a + 1).reduce((s, d) => s * d, 1));
      let flat = [0];
      ranges.forEach((r, a) => { flat = flat.flatMap((base) => r.map((i) => base + i * strides[a])); });
      const total = xs.reduce((s, d) => s * d, 1);
      const zeros = g.op('ConstantOfShape', [g.ints([total])], { value: fillValue(x.dtype) }, { dtypes: [x.dtype] });
      if (flat.length === 0) return [c.reshapeLike(zeros, [total], x)];
      const idx = g.constant(flat, 'int64', [flat.length]);
      const s = g.op('ScatterElements', [zeros, idx, g.reshape(c.grad, [-1])], { axis: 0 });
      return [c.reshapeLike(s, [total], x)];
    }
  }
  // Run time: slice a tensor of flat positions the same way, then scatter dY there.
  const ins = c.node.input ?? [];
  if (c.attrs.has('starts')) c.fail('Slice with attribute starts and sizes unknown until run time is not supported');
  const positions = g.reshape(g.op('Range', [g.constant(0, 'int64'), g.size(x), g.constant(1, 'int64')], {}, { dtypes: ['int64'] }), c.shapeOf(x));
  const picked = g.op('Slice', [positions, ...ins.slice(1).map((n) => (n ? c.typed(n) : undefined))]);
  const zeros = g.op('ConstantOfShape', [g.reshape(g.size(x), [1])], { value: fillValue(x.dtype) }, { dtypes: [x.dtype] });
  const s = g.op('ScatterElements', [zeros, g.reshape(picked, [-1]), g.reshape(c.grad, [-1])], { axis: 0 });
  return [c.typedOp('Reshape', [s, c.shapeOf(x)], {}, x)];
}

function padGrad(c: GradContext): (Value | undefined)[] {
  const { g } = c;
  const mode = c.attrs.string('mode', 'constant');
  if (mode !== 'constant') c.fail(`mode '${mode}' has no gradient rule (only 'constant')`);
  // Padding by -pads crops what Pad added (and pads back what negative pads cropped).
  const ins = c.node.input ?? [];
  const known = c.table.ints(ins[1]);
  const neg = known ? g.ints(known.map((v) => -v)) : g.neg(c.typed(ins[1]));
  return [c.typedOp('Pad', ins[3] ? [c.grad, neg, undefined, c.typed(ins[3])] : [c.grad, neg], {}, c.x(0))];
}

function tileGrad(c: GradContext): (Value | undefined)[] {
  const x = c.x(0);
  const reps = c.table.ints(c.node.input?.[1]);
  if (!reps || !isStatic(x.shape)) c.fail('Tile needs constant repeats and a static input shape for its gradient');
  // [r0*d0, r1*d1, ...] -> [r0, d0, r1, d1, ...], summed over the repeat axes.
  const split = x.shape.flatMap((d, i) => [reps[i], d]);
  const r = c.g.reshape(c.grad, split);
  return [c.reduceSum(r, x.shape.map((_, i) => 2 * i), false, x.shape)];
}

function dropoutGrad(c: GradContext): (Value | undefined)[] {
  const mode = c.node.input?.[2] ? c.table.ints(c.node.input[2]) : [0];
  if (!mode || mode[0] !== 0) c.fail('training mode is not supported (inference dropout is the identity)');
  return [c.grad];
}

function castGrad(c: GradContext): (Value | undefined)[] {
  const x = c.x(0);
  return [x.dtype === c.y().dtype ? c.grad : c.g.op('Cast', [c.grad], { to: toOnnxDataType(x.dtype!) }, { dtypes: [x.dtype], shapes: [x.shape] })];
}


export const shapeRules: Record<string, GradRule> = {
  Identity: { grad: (c) => [c.grad] },
  Dropout: { grad: dropoutGrad, nondiff: [1, 2] },
  Cast: { grad: castGrad },
  CastLike: { grad: castGrad, nondiff: [1] },
  Flatten: { grad: reshapeBack },
  Reshape: { grad: reshapeBack, nondiff: [1] },
  Squeeze: { grad: reshapeBack, nondiff: [1] },
  Unsqueeze: { grad: reshapeBack, nondiff: [1] },
  Transpose: { grad: transposeGrad },
  Concat: { grad: concatGrad },
  Split: { grad: splitGrad, nondiff: [1] },
  Slice: { grad: sliceGrad, nondiff: [1, 2, 3, 4] },
  Expand: { grad: (c) => [c.reduceTo(c.grad, c.y().shape, c.x(0))], nondiff: [1] },
  Pad: { grad: padGrad, nondiff: [1, 2, 3] },
  Tile: { grad: tileGrad, nondiff: [1] },
  CumSum: {
    // The gradient of a running sum is the running sum of the gradient in the other direction.
    nondiff: [1],
    grad: (c) => [c.typedOp('CumSum', [c.grad, c.x(1)], {
      exclusive: c.attrs.int('exclusive', 0) || undefined, reverse: c.attrs.int('reverse', 0) ? undefined : 1,
    }, c.x(0))],
  },
  Trilu: { grad: (c) => [c.typedOp('Trilu', [c.grad, c.has(1) ? c.x(1) : undefined], { upper: c.attrs.has('upper') ? c.attrs.int('upper', 1) : undefined }, c.x(0))], nondiff: [1] },
};
