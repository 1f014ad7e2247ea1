// A light type and shape inference over an imported graph: element type and rank of every value, sizes where
// they are static (or symbolic, such as 'batch'), and the values of small shape tensors (Shape -> Gather ->
// Concat chains), so that gradient rules can use constants instead of runtime Shape nodes.
import { broadcastShapes, fromOnnxDataType, tensorToArray, unknownDim } from '@ortrain/graph-builder';
import type { DType, Dim, NodeProto, TensorProto, ValueInfoProto } from '@ortrain/graph-builder';
import { NodeAttrs } from './attrs';
import { readWindow, windowOutput } from './window';

export interface Info {
  dtype?: DType;
  shape?: Dim[];
}

/** The values of a small tensor: numbers, or symbolic sizes for shape tensors. */
export interface Known {
  shape: number[];
  values: Dim[];
}

const UNARY = new Set(('Abs Neg Sqrt Exp Log Reciprocal Sign Relu Sigmoid Tanh Floor Ceil Round Erf Softplus Softsign ' +
  'LeakyRelu Elu Selu Celu HardSigmoid HardSwish Identity Clip Softmax LogSoftmax Sin Cos Tan Asin Acos Atan Sinh ' +
  'Cosh Mish Gelu ThresholdedRelu CumSum Trilu Hardmax BatchNormalization Dropout Cast CastLike IsNaN IsInf Not ' +
  'InstanceNormalization LpNormalization MeanVarianceNormalization Shrink PRelu').split(' '));
const BROADCAST = new Set('Add Sub Mul Div Pow Max Min Sum Mean Where Mod Equal Less Greater LessOrEqual GreaterOrEqual And Or Xor BitShift'.split(' '));
const BOOL_OUT = new Set('Equal Less Greater LessOrEqual GreaterOrEqual And Or Xor Not IsNaN IsInf'.split(' '));
const INT64_OUT = new Set('Shape Size NonZero ArgMax ArgMin'.split(' '));

export const isStatic = (shape: readonly Dim[] | undefined): shape is number[] => !!shape && shape.every((d) => typeof d === 'number');

export class ShapeTable {
  readonly info = new Map<string, Info>();
  readonly known = new Map<string, Known>();

  constructor(private readonly hints = new Map<string, Info>()) {}

  /** A table for a subgraph: what this one knows, and the subgraph's own hints. */
  child(hints: Map<string, Info>): ShapeTable {
    const c = new ShapeTable(new Map([...this.hints, ...hints]));
    for (const [k, v] of this.info) c.info.set(k, v);
    for (const [k, v] of this.known) c.known.set(k, v);
    return c;
  }

  /** Records hints from value_info entries (used where inference knows less). */
  static hintsFrom(infos: readonly ValueInfoProto[]): Map<string, Info> {
    const m = new Map<string, Info>();
    for (const vi of infos) {
      const info = infoOf(vi);
      if (vi.name && info) m.set(vi.name, info);
    }
    return m;
  }

  get(name: string): Info | undefined {
    return name ? this.info.get(name) : undefined;
  }

  set(name: string, info: Info): void {
    const hint = this.hints.get(name);
    this.info.set(name, merge(info, hint));
  }

  /** Records an initializer (and its values when it is small). */
  addTensor(t: TensorProto): void {
    const dtype = fromOnnxDataType(t.dataType ?? 0);
    const dims = (t.dims ?? []).map(Number);
    this.set(t.name!, { dtype, shape: dims });
    const count = dims.reduce((a, b) => a * b, 1);
    if (count <= 64 && dtype !== 'string' && !(t.externalData && t.externalData.length)) {
      const data = tensorToArray(t) as ArrayLike<number | bigint>;
      this.known.set(t.name!, { shape: dims, values: Array.from(data, Number) });
    }
  }

  /** Infers the outputs of one node from what is known of its inputs. */
  inferNode(node: NodeProto): void {
    const outs = infer(this, node);
    (node.output ?? []).forEach((o, i) => {
      if (!o) return;
      this.set(o, outs[i] ?? { dtype: undefined, shape: undefined });
    });
    const k = fold(this, node);
    if (k && node.output?.[0]) this.known.set(node.output[0], k);
  }

  /** The 1-D or scalar values of `name`, if known (sizes may be symbolic). */
  values(name: string | undefined): Dim[] | undefined {
    return name ? this.known.get(name)?.values : undefined;
  }

  /** Known integer values (no symbolic entries). */
  ints(name: string | undefined): number[] | undefined {
    const v = this.values(name);
    return v && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined;
  }
}

function infoOf(vi: ValueInfoProto): Info | undefined {
  const tt = vi.type?.tensorType;
  if (!tt || !tt.elemType) return undefined;
  const dtype = fromOnnxDataType(tt.elemType);
  const shape = tt.shape ? (tt.shape.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null && String(d.dimValue) !== '' ? Number(d.dimValue) : d.dimParam || unknownDim())) : undefined;
  return { dtype, shape };
}

function merge(a: Info, hint: Info | undefined): Info {
  if (!hint) return a;
  const dtype = a.dtype ?? hint.dtype;
  if (!a.shape) return { dtype, shape: hint.shape };
  if (!hint.shape || hint.shape.length !== a.shape.length) return { dtype, shape: a.shape };
  return { dtype, shape: a.shape.map((d, i) => (typeof d === 'number' ? d : typeof hint.shape![i] === 'number' ? hint.shape![i] : d.startsWith('unk__') ? hint.shape![i] : d)) };
}

const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** Axes from an attribute (older opsets) or a constant second input (newer ones); null when not known. */
export function axesOf(t: ShapeTable, node: NodeProto, attrs: NodeAttrs, inputIndex = 1): number[] | undefined | null {
  const fromAttr = attrs.ints('axes');
  if (fromAttr) return fromAttr;
  const name = node.input?.[inputIndex];
  if (!name) return undefined;
  return t.ints(name) ?? null;
}

function infer(t: ShapeTable, node: NodeProto): Info[] {
  const op = node.opType ?? '';
  const ins = (node.input ?? []).map((n) => t.get(n));
  const x = ins[0];
  const xs = x?.shape;
  const attrs = new NodeAttrs(node);
  const dtype = x?.dtype;
  const same = (shape?: Dim[], d: DType | undefined = dtype): Info => ({ dtype: d, shape });

  if (BROADCAST.has(op)) {
    let shape: Dim[] | undefined = [];
    for (const i of ins) shape = shape && i?.shape ? broadcastShapes(shape, i.shape, op) : undefined;
    const d = BOOL_OUT.has(op) ? 'bool' : op === 'Where' ? ins[1]?.dtype : dtype;
    return [{ dtype: d, shape }];
  }
  if (UNARY.has(op)) {
    let d: DType | undefined = dtype;
    if (op === 'Cast') d = fromOnnxDataType(attrs.int('to', 1));
    if (op === 'CastLike') d = ins[1]?.dtype;
    if (BOOL_OUT.has(op)) d = 'bool';
    const outs: Info[] = [same(xs && [...xs], d)];
    if (op === 'Dropout') outs.push(same(xs && [...xs], 'bool'));
    return outs;
  }
  if (INT64_OUT.has(op)) {
    switch (op) {
      case 'Shape': {
        if (!xs) return [{ dtype: 'int64', shape: [unknownDim()] }];
        const r = xs.length;
        const s = Math.max(0, Math.min(r, norm(attrs.int('start', 0), r)));
        const e = Math.max(0, Math.min(r, norm(attrs.int('end', r), r)));
        return [{ dtype: 'int64', shape: [Math.max(0, e - s)] }];
      }
      case 'Size': return [{ dtype: 'int64', shape: [] }];
      case 'NonZero': return [{ dtype: 'int64', shape: xs ? [xs.length, unknownDim()] : undefined }];
      default: {
        if (!xs) return [{ dtype: 'int64' }];
        const a = norm(attrs.int('axis', 0), xs.length);
        const keep = attrs.int('keepdims', 1) === 1;
        return [{ dtype: 'int64', shape: xs.flatMap((d, i) => (i === a ? (keep ? [1] : []) : [d])) }];
      }
    }
  }
  switch (op) {
    case 'Constant': {
      const tensor = attrs.tensor('value');
      if (tensor) return [{ dtype: fromOnnxDataType(tensor.dataType ?? 1), shape: (tensor.dims ?? []).map(Number) }];
      if (attrs.has('value_float')) return [{ dtype: 'float32', shape: [] }];
      if (attrs.has('value_int')) return [{ dtype: 'int64', shape: [] }];
      if (attrs.has('value_floats')) return [{ dtype: 'float32', shape: [attrs.ints('value_floats')!.length] }];
      if (attrs.has('value_ints')) return [{ dtype: 'int64', shape: [attrs.ints('value_ints')!.length] }];
      return [{ dtype: 'string' }];
    }
    case 'ConstantOfShape': {
      const tensor = attrs.tensor('value');
      const d = tensor ? fromOnnxDataType(tensor.dataType ?? 1) : 'float32';
      const v = t.values(node.input?.[0]);
      const len = ins[0]?.shape?.[0];
      return [{ dtype: d, shape: v ? [...v] : typeof len === 'number' ? Array.from({ length: len }, () => unknownDim()) : undefined }];
    }
    case 'Range': return [{ dtype, shape: [unknownDim()] }];
    case 'MatMul': return [same(matmulShape(xs, ins[1]?.shape))];
    case 'Gemm': {
      const a = xs, b = ins[1]?.shape;
      const m = a ? (attrs.int('transA', 0) ? a[1] : a[0]) : unknownDim();
      const n = b ? (attrs.int('transB', 0) ? b[0] : b[1]) : unknownDim();
      return [same([m, n])];
    }
    case 'Conv': case 'ConvTranspose': case 'MaxPool': case 'AveragePool': case 'LpPool': {
      if (!xs) return [same(undefined), same(undefined, 'int64')];
      const w = ins[1]?.shape;
      const spatial = xs.slice(2);
      const kernel = (op === 'Conv' || op === 'ConvTranspose') && w ? (w.slice(2).every((d) => typeof d === 'number') ? (w.slice(2) as number[]) : undefined) : undefined;
      let outSpatial: Dim[];
      if (op === 'ConvTranspose') outSpatial = spatial.map(() => unknownDim());
      else {
        try {
          outSpatial = windowOutput(readWindow(attrs, spatial, kernel), spatial).map((d) => d ?? unknownDim());
        } catch {
          outSpatial = spatial.map(() => unknownDim());
        }
      }
      let channels: Dim = xs[1];
      if (op === 'Conv' && w) channels = w[0];
      if (op === 'ConvTranspose') channels = w && typeof w[1] === 'number' ? w[1] * attrs.int('group', 1) : unknownDim();
      const shape = [xs[0], channels, ...outSpatial];
      return [same(shape), same([...shape], 'int64')];
    }
    case 'GlobalAveragePool': case 'GlobalMaxPool': case 'GlobalLpPool':
      return [same(xs && [xs[0], xs[1], ...xs.slice(2).map(() => 1)])];
    case 'LayerNormalization': {
      if (!xs) return [same(undefined), same(undefined, 'float32'), same(undefined, 'float32')];
      const a = norm(attrs.int('axis', -1), xs.length);
      const stat = xs.map((d, i) => (i < a ? d : 1));
      return [same([...xs]), same(stat, 'float32'), same([...stat], 'float32')];
    }
    case 'Flatten': {
      if (!xs) return [same([unknownDim(), unknownDim()])];
      const a = norm(attrs.int('axis', 1), xs.length);
      return [same([product(xs.slice(0, a)), product(xs.slice(a))])];
    }
    case 'Reshape': {
      const target = t.values(node.input?.[1]);
      if (target) return [same(reshapeShape(xs, target, attrs.int('allowzero', 0) === 1))];
      const len = ins[1]?.shape?.[0];
      return [same(typeof len === 'number' ? Array.from({ length: len }, () => unknownDim()) : undefined)];
    }
    case 'Transpose': {
      if (!xs) return [same(undefined)];
      const perm = attrs.ints('perm') ?? xs.map((_, i) => xs.length - 1 - i);
      return [same(perm.map((p) => xs[p]))];
    }
    case 'Squeeze': {
      const axes = axesOf(t, node, attrs);
      if (!xs || axes === null) return [same(undefined)];
      if (!axes) return [same(xs.every((d) => typeof d === 'number') ? xs.filter((d) => d !== 1) : undefined)];
      const set = new Set(axes.map((a) => norm(a, xs.length)));
      return [same(xs.filter((_, i) => !set.has(i)))];
    }
    case 'Unsqueeze': {
      const axes = axesOf(t, node, attrs);
      if (!xs || !axes) return [same(undefined)];
      const r = xs.length + axes.length;
      const set = new Set(axes.map((a) => norm(a, r)));
      const out: Dim[] = [];
      let j = 0;
      for (let i = 0; i < r; i++) out.push(set.has(i) ? 1 : xs[j++]);
      return [same(out)];
    }
    case 'Concat': {
      if (ins.some((i) => !i?.shape)) return [same(xs ? xs.map(() => unknownDim()) : undefined)];
      const a = norm(attrs.int('axis', 0), xs!.length);
      const sizes = ins.map((i) => i!.shape![a]);
      const total = sizes.every((s) => typeof s === 'number') ? (sizes as number[]).reduce((p, q) => p + q, 0) : unknownDim();
      return [same(xs!.map((d, i) => (i === a ? total : d)))];
    }
    case 'Split': {
      const count = (node.output ?? []).length;
      if (!xs) return Array.from({ length: count }, () => same(undefined));
      const a = norm(attrs.int('axis', 0), xs.length);
      const sizes = splitSizes(t, node, attrs, xs[a], count);
      return Array.from({ length: count }, (_, k) => same(xs.map((d, i) => (i === a ? sizes?.[k] ?? unknownDim() : d))));
    }
    case 'Slice': {
      if (!xs) return [same(undefined)];
      const p = sliceParams(t, node, attrs, xs.length);
      if (!p) return [same(xs.map(() => unknownDim()))];
      const out = [...xs];
      p.axes.forEach((a, k) => {
        const d = xs[a];
        out[a] = typeof d === 'number' ? sliceRange(d, p.starts[k], p.ends[k], p.steps[k]).length : unknownDim();
      });
      return [same(out)];
    }
    case 'Expand': {
      const target = t.values(node.input?.[1]);
      if (xs && target) return [same(broadcastShapes(xs, target, 'Expand'))];
      const len = ins[1]?.shape?.[0];
      const r = typeof len === 'number' && xs ? Math.max(len, xs.length) : undefined;
      return [same(r === undefined ? undefined : Array.from({ length: r }, () => unknownDim()))];
    }
    case 'Tile': {
      const reps = t.ints(node.input?.[1]);
      return [same(xs && (reps ? xs.map((d, i) => (typeof d === 'number' ? d * reps[i] : unknownDim())) : xs.map(() => unknownDim())))];
    }
    case 'Pad': {
      const pads = t.ints(node.input?.[1]) ?? attrs.ints('pads');
      if (!xs) return [same(undefined)];
      return [same(xs.map((d, i) => (pads && typeof d === 'number' ? d + pads[i] + pads[i + xs.length] : unknownDim())))];
    }
    case 'Gather': {
      const ind = ins[1]?.shape;
      if (!xs || !ind) return [same(undefined)];
      const a = norm(attrs.int('axis', 0), xs.length);
      return [same([...xs.slice(0, a), ...ind, ...xs.slice(a + 1)])];
    }
    case 'GatherElements': return [same(ins[1]?.shape && [...ins[1].shape])];
    case 'ScatterElements': case 'ScatterND': return [same(xs && [...xs])];
    case 'OneHot': {
      const ind = xs;
      const vals = ins[2];
      if (!ind) return [{ dtype: vals?.dtype }];
      const r = ind.length + 1;
      const a = norm(attrs.int('axis', -1), r);
      const out: Dim[] = [...ind];
      out.splice(a, 0, t.ints(node.input?.[1])?.[0] ?? unknownDim());
      return [{ dtype: vals?.dtype, shape: out }];
    }
    case 'TopK': {
      const k = t.ints(node.input?.[1])?.[0];
      const s = xs && xs.map((d, i) => (i === norm(attrs.int('axis', -1), xs.length) ? k ?? unknownDim() : d));
      return [same(s), same(s && [...s], 'int64')];
    }
    case 'ReduceSum': case 'ReduceMean': case 'ReduceMax': case 'ReduceMin': case 'ReduceProd': case 'ReduceL1':
    case 'ReduceL2': case 'ReduceLogSum': case 'ReduceLogSumExp': case 'ReduceSumSquare': {
      if (!xs) return [same(undefined)];
      const axes = axesOf(t, node, attrs);
      const keep = attrs.int('keepdims', 1) === 1;
      if (axes === null) return [same(keep ? xs.map(() => unknownDim()) : undefined)];
      if (!axes || axes.length === 0) {
        if (attrs.int('noop_with_empty_axes', 0) === 1) return [same([...xs])];
        return [same(keep ? xs.map(() => 1) : [])];
      }
      const set = new Set(axes.map((a) => norm(a, xs.length)));
      return [same(xs.flatMap((d, i) => (set.has(i) ? (keep ? [1] : []) : [d])))];
    }
    case 'EyeLike': return [{ dtype: attrs.has('dtype') ? fromOnnxDataType(attrs.int('dtype', 1)) : dtype, shape: xs && [...xs] }];
    case 'SoftmaxCrossEntropyLoss': case 'NegativeLogLikelihoodLoss': {
      const red = attrs.string('reduction', 'mean');
      const lbl = ins[1]?.shape;
      return [same(red === 'none' ? lbl && [...lbl] : []), same(xs && [...xs])];
    }
    case 'LSTM': case 'GRU': case 'RNN': {
      const dirs = attrs.string('direction', 'forward') === 'bidirectional' ? 2 : 1;
      const H = attrs.int('hidden_size', 0) || unknownDim();
      const layout1 = attrs.int('layout', 0) === 1;
      const T = xs ? xs[layout1 ? 1 : 0] : unknownDim();
      const B = xs ? xs[layout1 ? 0 : 1] : unknownDim();
      const y = layout1 ? [B, T, dirs, H] : [T, dirs, B, H];
      const state = layout1 ? [B, dirs, H] : [dirs, B, H];
      return [same(y), same(state), same([...state])];
    }
    case 'Resize': case 'Upsample': {
      if (!xs) return [same(undefined)];
      const ins2 = node.input ?? [];
      const scales = op === 'Upsample' ? t.values(ins2[1]) : t.values(ins2[2]);
      const sizes = op === 'Resize' ? t.values(ins2[3]) : undefined;
      const axes = attrs.ints('axes')?.map((a) => norm(a, xs.length)) ?? xs.map((_, i) => i);
      const out: Dim[] = [...xs];
      axes.forEach((ax, k) => {
        if (sizes && sizes.length) out[ax] = sizes[k];
        else if (scales && scales.length && typeof xs[ax] === 'number') out[ax] = Math.floor((xs[ax] as number) * Number(scales[k]));
        else out[ax] = scales && Number(scales[k]) === 1 ? xs[ax] : unknownDim();
      });
      return [same(out)];
    }
    case 'Einsum': {
      const eq = attrs.string('equation', '').replace(/\s+/g, '');
      const [lhs, explicit] = eq.split('->');
      if (eq.includes('...')) return [same(undefined)];
      // Without '->' the output is the letters that appear once, in alphabetical order.
      const rhs = explicit ?? [...new Set(lhs.replace(/,/g, ''))].filter((ch) => lhs.split(ch).length === 2).sort().join('');
      const sizes = new Map<string, Dim>();
      lhs.split(',').forEach((s, k) => [...s].forEach((ch, j) => {
        const d = ins[k]?.shape?.[j];
        if (d !== undefined && (!sizes.has(ch) || sizes.get(ch) === 1)) sizes.set(ch, d);
      }));
      return [same([...rhs].map((ch) => sizes.get(ch) ?? unknownDim()))];
    }
    default: return (node.output ?? []).map(() => same(undefined));
  }
}

function product(dims: Dim[]): Dim {
  return dims.every((d) => typeof d === 'number') ? (dims as number[]).reduce((a, b) => a * b, 1) : unknownDim();
}

export function matmulShape(a: readonly Dim[] | undefined, b: readonly Dim[] | undefined): Dim[] | undefined {
  if (!a || !b || a.length === 0 || b.length === 0) return undefined;
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2), 'MatMul');
  const out: Dim[] = [...batch, a2[a2.length - 2], b2[b2.length - 1]];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.splice(out.length - 1, 1);
  return out;
}

function reshapeShape(xs: Dim[] | undefined, target: Dim[], allowzero: boolean): Dim[] {
  const out: Dim[] = target.map((d, i) => (d === 0 && !allowzero ? (xs ? xs[i] : unknownDim()) : d));
  const minus = out.indexOf(-1);
  if (minus >= 0) {
    const rest = out.filter((_, i) => i !== minus);
    if (xs && isStatic(xs) && isStatic(rest)) {
      out[minus] = xs.reduce((a, b) => a * b, 1) / rest.reduce((a, b) => a * b, 1);
    } else if (xs) {
      // Cancel the symbolic sizes that appear on both sides: [b, s, 32] -> [-1, 32] is unknown, [b, 4, 8] -> [b, -1] is 32.
      const left = [...xs];
      const right = [...rest];
      for (let i = right.length - 1; i >= 0; i--) {
        const j = left.indexOf(right[i]);
        if (j >= 0) { left.splice(j, 1); right.splice(i, 1); }
      }
      out[minus] = isStatic(left) && isStatic(right) ? left.reduce((a, b) => a * b, 1) / right.reduce((a, b) => a * b, 1) : unknownDim();
    } else out[minus] = unknownDim();
  }
  return out;
}

/** Split sizes along the axis, when known. */
export function splitSizes(t: ShapeTable, node: NodeProto, attrs: NodeAttrs, dim: Dim, count: number): number[] | undefined {
  const given = attrs.ints('split') ?? (node.input?.[1] ? t.ints(node.input[1]) : undefined);
  if (given) return given;
  if (typeof dim !== 'number') return undefined;
  const n = attrs.has('num_outputs') ? attrs.int('num_outputs', count) : count;
  const chunk = Math.ceil(dim / n);
  return Array.from({ length: count }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
}

export interface SliceParams { starts: number[]; ends: number[]; axes: number[]; steps: number[] }

/** Slice's starts/ends/axes/steps (inputs from opset 10, attributes before), axes normalised; undefined if dynamic. */
export function sliceParams(t: ShapeTable, node: NodeProto, attrs: NodeAttrs, rank: number): SliceParams | undefined {
  const ins = node.input ?? [];
  const fromAttr = attrs.has('starts');
  const starts = fromAttr ? attrs.ints('starts') : t.ints(ins[1]);
  const ends = fromAttr ? attrs.ints('ends') : t.ints(ins[2]);
  if (!starts || !ends) return undefined;
  const axesRaw = fromAttr ? attrs.ints('axes') : ins[3] ? t.ints(ins[3]) : undefined;
  if (!fromAttr && ins[3] && !axesRaw) return undefined;
  const stepsRaw = fromAttr ? undefined : ins[4] ? t.ints(ins[4]) : undefined;
  if (!fromAttr && ins[4] && !stepsRaw) return undefined;
  const axes = (axesRaw ?? starts.map((_, i) => i)).map((a) => norm(a, rank));
  return { starts, ends, axes, steps: stepsRaw ?? starts.map(() => 1) };
}

/** The indices a Slice keeps along one axis of size `dim` (numpy semantics with clamping). */
export function sliceRange(dim: number, start: number, end: number, step: number): number[] {
  const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  const out: number[] = [];
  if (step > 0) {
    s = clamp(s, 0, dim);
    e = clamp(e, 0, dim);
    for (let i = s; i < e; i += step) out.push(i);
  } else {
    s = clamp(s, -1, dim - 1);
    e = clamp(e, -1, dim - 1);
    for (let i = s; i > e; i += step) out.push(i);
  }
  return out;
}

// ---- constant folding of small shape tensors (values may be symbolic sizes) ----

/**
 * `f` of two folded 1-D values element by element, a length-1 side broadcast; undefined when the lengths do
 * not broadcast or `f` cannot fold a pair (symbolic sizes it knows nothing about).
 */
function pairwise(a: readonly Dim[], b: readonly Dim[], f: (x: Dim, y: Dim) => Dim | undefined): Dim[] | undefined {
  const n = Math.max(a.length, b.length);
  if ((a.length !== n && a.length !== 1) || (b.length !== n && b.length !== 1)) return undefined;
  const values: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const r = f(a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i]);
    if (r === undefined) return undefined;
    values.push(r);
  }
  return values;
}

/** The shape of a folded element-wise result: its operand of higher rank's. */
function widerShape(ka: Known, kb: Known): number[] {
  return ka.shape.length >= kb.shape.length ? [...ka.shape] : [...kb.shape];
}

function fold(t: ShapeTable, node: NodeProto): Known | undefined {
  const op = node.opType;
  const ins = node.input ?? [];
  const attrs = new NodeAttrs(node);
  const v = (i: number) => t.values(ins[i]);
  switch (op) {
    case 'Constant': {
      const tensor = attrs.tensor('value');
      if (tensor) {
        const dims = (tensor.dims ?? []).map(Number);
        if (dims.reduce((a, b) => a * b, 1) > 64) return undefined;
        try {
          return { shape: dims, values: Array.from(tensorToArray(tensor) as ArrayLike<number | bigint>, Number) };
        } catch {
          return undefined;
        }
      }
      if (attrs.has('value_int')) return { shape: [], values: [attrs.int('value_int', 0)] };
      if (attrs.has('value_ints')) { const a = attrs.ints('value_ints')!; return { shape: [a.length], values: a }; }
      if (attrs.has('value_float')) return { shape: [], values: [attrs.float('value_float', 0)] };
      return undefined;
    }
    case 'Shape': {
      const s = t.get(ins[0])?.shape;
      if (!s) return undefined;
      const r = s.length;
      const a = Math.max(0, Math.min(r, norm(attrs.int('start', 0), r)));
      const b = Math.max(0, Math.min(r, norm(attrs.int('end', r), r)));
      const vals = s.slice(a, b);
      return { shape: [vals.length], values: vals };
    }
    case 'Size': {
      const s = t.get(ins[0])?.shape;
      return s && isStatic(s) ? { shape: [], values: [s.reduce((p, q) => p * q, 1)] } : undefined;
    }
    case 'Identity': case 'Cast': {
      const k = t.known.get(ins[0]);
      return k ? { shape: [...k.shape], values: [...k.values] } : undefined;
    }
    case 'Gather': {
      const data = t.known.get(ins[0]);
      const idx = t.known.get(ins[1]);
      if (!data || !idx || data.shape.length !== 1 || !idx.values.every((x) => typeof x === 'number')) return undefined;
      const n = data.values.length;
      return { shape: [...idx.shape], values: idx.values.map((i) => data.values[(i as number) < 0 ? (i as number) + n : (i as number)]) };
    }
    case 'Unsqueeze': case 'Squeeze': case 'Reshape': case 'Flatten': {
      const k = t.known.get(ins[0]);
      const shape = t.get(node.output![0])?.shape;
      return k && shape && isStatic(shape) ? { shape, values: [...k.values] } : undefined;
    }
    case 'Concat': {
      const parts = ins.map((n) => t.known.get(n));
      if (parts.some((p) => !p || p.shape.length > 1)) return undefined;
      const values = parts.flatMap((p) => p!.values);
      return { shape: [values.length], values };
    }
    case 'Slice': {
      const k = t.known.get(ins[0]);
      if (!k || k.shape.length !== 1) return undefined;
      const p = sliceParams(t, node, attrs, 1);
      if (!p) return undefined;
      const idx = sliceRange(k.values.length, p.starts[0], p.ends[0], p.steps[0]);
      return { shape: [idx.length], values: idx.map((i) => k.values[i]) };
    }
    case 'Add': case 'Sub': case 'Mul': case 'Div': {
      const a = v(0), b = v(1);
      const ka = t.known.get(ins[0]), kb = t.known.get(ins[1]);
      if (!a || !b || !ka || !kb) return undefined;
      const isInt = t.get(ins[0])?.dtype?.startsWith('int');
      const values = pairwise(a, b, (x, y) => {
        if (typeof x !== 'number' || typeof y !== 'number') {
          if (op === 'Mul' && x === 1) return y;
          if (op === 'Mul' && y === 1) return x;
          if ((op === 'Add' || op === 'Sub') && y === 0) return x;
          return undefined;
        }
        return op === 'Add' ? x + y : op === 'Sub' ? x - y : op === 'Mul' ? x * y : isInt ? Math.trunc(x / y) : x / y;
      });
      return values && { shape: widerShape(ka, kb), values };
    }
    case 'Equal': case 'Less': case 'Greater': case 'LessOrEqual': case 'GreaterOrEqual': case 'And': case 'Or': case 'Xor': {
      // Conditions of an If on shapes (x.shape[0] == 1): folded so that the If folds to its branch.
      const a = v(0), b = v(1);
      if (!a || !b) return undefined;
      const values = pairwise(a, b, (x, y) => {
        if (typeof x !== 'number' || typeof y !== 'number') return op === 'Equal' && x === y ? 1 : undefined;
        const r = op === 'Equal' ? x === y : op === 'Less' ? x < y : op === 'Greater' ? x > y : op === 'LessOrEqual' ? x <= y
          : op === 'GreaterOrEqual' ? x >= y : op === 'And' ? !!x && !!y : op === 'Or' ? !!x || !!y : !!x !== !!y;
        return r ? 1 : 0;
      });
      return values && { shape: widerShape(t.known.get(ins[0])!, t.known.get(ins[1])!), values };
    }
    case 'Not': {
      const k = t.known.get(ins[0]);
      return k && k.values.every((x) => typeof x === 'number') ? { shape: [...k.shape], values: k.values.map((x) => (x ? 0 : 1)) } : undefined;
    }
    case 'ConstantOfShape': {
      const s = t.ints(ins[0]);
      const tensor = attrs.tensor('value');
      if (!s || s.reduce((a, b) => a * b, 1) > 64) return undefined;
      const fill = tensor ? Number((tensor && (tensorToArray(tensor) as ArrayLike<number | bigint>)[0]) ?? 0) : 0;
      return { shape: s, values: new Array(s.reduce((a, b) => a * b, 1)).fill(fill) };
    }
    default: return undefined;
  }
}
