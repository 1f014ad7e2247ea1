import { AttributeValue, floatAttr, makeAttribute } from './attributes';
import { DType, fromOnnxDataType, toOnnxDataType } from './dtype';
import { attributeKindAt } from './ops';
import type { AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto } from './proto';
import { TensorData, tensorFromArray, tensorToArray } from './tensor';
import { Dim, Value, ValueLike, broadcastShapes, unknownDim } from './value';

export interface GraphBuilderOptions {
  /** ai.onnx opset version of the model (default 17). */
  opset?: number;
  /** Other operator domains the graph uses, with their versions. */
  extraOpsets?: Record<string, number>;
}

export interface NodeOptions {
  /** Number of outputs, or their names (default one output with a generated name). */
  outputs?: number | string[];
  /** Node name (default generated, unique). */
  name?: string;
  domain?: string;
  /** Element type of each output when the builder cannot infer it. */
  dtypes?: (DType | undefined)[];
  /** Shapes of the outputs when known to the caller. */
  shapes?: (readonly Dim[] | undefined)[];
}

export type Attributes = Record<string, AttributeValue | undefined>;

/** The value, or an empty name for an omitted optional input. */
type NodeInput = Value | undefined;

const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'Where', 'PRelu', 'Mod',
  'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor']);
const COMPARISON = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Not', 'IsNaN', 'IsInf']);
const UNARY_SAME = new Set(['Abs', 'Neg', 'Sqrt', 'Exp', 'Log', 'Reciprocal', 'Sign', 'Relu', 'Sigmoid', 'Tanh', 'Floor',
  'Ceil', 'Round', 'Erf', 'Softplus', 'Softsign', 'LeakyRelu', 'Elu', 'Selu', 'Celu', 'HardSigmoid', 'HardSwish', 'Identity',
  'Clip', 'Softmax', 'LogSoftmax', 'Sin', 'Cos', 'Tan', 'Asin', 'Acos', 'Atan', 'Sinh', 'Cosh', 'Tanh', 'Dropout', 'Mish',
  'Gelu', 'ThresholdedRelu', 'CumSum', 'Trilu', 'Hardmax']);

/**
 * Builds one ONNX graph: inputs, initializers, nodes, outputs. Values carry their element type and, where
 * the builder can infer it, their shape; element-wise ops check ONNX broadcasting on known sizes.
 * Plain numbers given as operands become scalar constants of the other operand's type.
 */
export class GraphBuilder {
  readonly opset: number;
  private readonly extraOpsets: Record<string, number>;
  private readonly nodes: NodeProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly initializers = new Map<string, TensorProto>();
  private readonly values = new Map<string, Value>();
  private readonly constantCache = new Map<string, Value>();
  private readonly producers = new Map<string, NodeProto>();
  private readonly scopes: string[] = [];
  /** Names taken in this graph and, shared with them, its subgraphs and enclosing graphs (SSA across scopes). */
  private usedNames = new Set<string>();
  /** Values renamed by output(): later uses of the old name read the new one. */
  private readonly renamed = new Map<string, string>();
  /** The graph whose values this one, a subgraph, may read. */
  private parent: GraphBuilder | undefined;
  /** Values of this graph that subgraphs read by name: output() must not rename them. */
  private readonly readBySubgraphs = new Set<string>();
  /** Initializers that inline() copied in, by the TensorProto they came from: a graph inlined again reads the same copy. */
  private readonly inlined = new WeakMap<TensorProto, string>();
  private counter = 0;

  constructor(readonly name = 'graph', options: GraphBuilderOptions = {}) {
    this.opset = options.opset ?? 17;
    // onnxruntime runs ai.onnx from opset 7 on.
    if (!Number.isInteger(this.opset) || this.opset < 7) throw new RangeError(`opset: ${this.opset} is not an ai.onnx opset onnxruntime runs (7 or later)`);
    this.extraOpsets = options.extraOpsets ?? {};
  }

  // ---- names and scopes ----

  /** A fresh name under the current scope: 'scope/base_3'. */
  uniqueName(base: string): string {
    const prefix = this.scopes.length ? this.scopes.join('/') + '/' : '';
    let name = prefix + base;
    while (this.usedNames.has(name)) name = `${prefix}${base}_${this.counter++}`;
    this.usedNames.add(name);
    return name;
  }

  /** Runs `fn` with generated names prefixed by `scope/`. */
  scope<T>(scope: string, fn: () => T): T {
    this.scopes.push(scope);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  private claim(name: string, what: string): void {
    if (this.visible(name)) throw new RangeError(`${what}: the name '${name}' is already defined in graph '${this.name}'`);
    this.usedNames.add(name);
  }

  /** The value of that name, if the graph defines it. */
  get(name: string): Value | undefined {
    return this.values.get(name);
  }

  /** Whether this graph or an enclosing one defines that name. */
  private visible(name: string): boolean {
    return this.lookup(name) !== undefined;
  }

  /** The value of that name in this graph or an enclosing one. */
  private lookup(name: string): Value | undefined {
    return this.values.get(name) ?? this.parent?.lookup(name);
  }

  /** The name a value goes by now (output() may have renamed it). */
  private current(name: string): string {
    let n = name;
    while (this.renamed.has(n)) n = this.renamed.get(n)!;
    return n;
  }

  // ---- inputs, outputs, initializers, constants ----

  /** A graph input. Shape entries are sizes or symbolic names ('batch'); undefined: of unknown rank. */
  input(name: string, dtype: DType, shape: readonly Dim[] | undefined): Value {
    this.claim(name, 'input');
    const v = new Value(name, dtype, shape ? [...shape] : undefined);
    this.values.set(name, v);
    this.inputs.push(valueInfo(name, dtype, shape));
    return v;
  }

  /**
   * Marks a value as a graph output under `name` (default its own name). A value produced by a node of this
   * graph is renamed in place; an input or initializer gets an Identity.
   */
  output(value: Value, name = value.name, shape?: readonly Dim[]): Value {
    let out = value;
    if (name !== value.name) {
      const producer = this.producers.get(value.name);
      const alreadyOutput = this.outputs.some((o) => o.name === value.name);
      // Renaming in place (readers included) saves the Identity, a full copy of the tensor per run. A value
      // that a subgraph reads by name keeps its name: the subgraph's proto may already be built.
      if (producer && !alreadyOutput && !this.values.has(name) && !this.readBySubgraphs.has(value.name)) {
        this.claim(name, 'output');
        producer.output = producer.output!.map((o) => (o === value.name ? name : o));
        for (const n of this.nodes) {
          if (n.input?.includes(value.name)) n.input = n.input.map((i) => (i === value.name ? name : i));
        }
        this.producers.delete(value.name);
        this.values.delete(value.name);
        this.renamed.set(value.name, name);
        out = new Value(name, value.dtype, value.shape);
        this.values.set(name, out);
        this.producers.set(name, producer);
      } else {
        out = this.node('Identity', [value], {}, { outputs: [name] })[0];
      }
    }
    if (this.outputs.some((o) => o.name === out.name)) throw new RangeError(`output: '${out.name}' is already an output`);
    this.outputs.push(valueInfo(out.name, out.dtype, shape ?? out.shape));
    return out;
  }

  /** Records that a subgraph reads `name` from this graph or an enclosing one. */
  private markReadBySubgraph(name: string): void {
    if (this.values.has(name)) this.readBySubgraphs.add(name);
    else this.parent?.markReadBySubgraph(name);
  }

  /** An initializer (a named constant tensor stored in the model). */
  initializer(name: string, dtype: DType, dims: readonly number[], data: TensorData): Value {
    this.claim(name, 'initializer');
    this.initializers.set(name, tensorFromArray(name, dtype, dims, data));
    const v = new Value(name, dtype, [...dims]);
    this.values.set(name, v);
    return v;
  }

  /** Adds an existing TensorProto as an initializer. */
  addInitializer(tensor: TensorProto): Value {
    const name = tensor.name!;
    this.claim(name, 'initializer');
    this.initializers.set(name, tensor);
    const v = new Value(name, fromOnnxDataType(tensor.dataType ?? 0), [...(tensor.dims ?? [])]);
    this.values.set(name, v);
    return v;
  }

  /**
   * A constant tensor stored as an initializer; scalars and small 1-D constants of equal value are shared.
   * `dims` defaults to a scalar for a number and to [n] for an array.
   */
  constant(value: number | bigint | readonly number[] | TensorData, dtype: DType = 'float32', dims?: readonly number[]): Value {
    const data = (typeof value === 'number' || typeof value === 'bigint' ? [value] : value) as ArrayLike<number | bigint>;
    const shape = dims ?? (typeof value === 'number' || typeof value === 'bigint' ? [] : [data.length]);
    const small = data.length <= 16;
    const key = small ? `${dtype}|${shape.join(',')}|${Array.from(data, (x) => (Object.is(x, -0) ? '-0' : String(x))).join(',')}` : '';
    if (small && this.constantCache.has(key)) return this.constantCache.get(key)!;
    const name = this.uniqueName('const');
    const typed = dtype === 'int64' || dtype === 'uint64' ? Array.from(data, (x) => BigInt(x)) : Array.from(data, Number);
    const v = this.initializer(name, dtype, shape, toTyped(dtype, typed));
    if (small) this.constantCache.set(key, v);
    return v;
  }

  /** A 1-D int64 constant, as shape and axes inputs want. */
  ints(values: readonly number[]): Value {
    return this.constant(values, 'int64', [values.length]);
  }

  /** Turns a ValueLike into a Value, numbers as scalars of `dtype`. */
  lift(x: ValueLike, dtype: DType | undefined): Value {
    if (x instanceof Value) return x;
    return this.constant(x, dtype ?? 'float32');
  }

  // ---- nodes ----

  /** Adds a node and returns its outputs. Attributes left undefined are omitted. */
  node(opType: string, inputs: NodeInput[], attrs: Attributes = {}, options: NodeOptions = {}): Value[] {
    const attribute = Object.entries(attrs)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => makeAttribute(k, v as AttributeValue, options.domain ? undefined : attributeKindAt(opType, k, this.opset)));
    inputs = inputs.map((v) => (v && this.renamed.has(v.name) ? this.values.get(this.current(v.name)) : v));
    const outNames = typeof options.outputs === 'object'
      ? options.outputs.map((n) => { this.claim(n, `${opType} output`); return n; })
      : Array.from({ length: options.outputs ?? 1 }, (_, i) => this.uniqueName(`${opType}_out${i === 0 ? '' : i}`));
    for (const v of inputs) {
      if (v && !this.visible(v.name)) {
        throw new RangeError(`${opType}: input '${v.name}' is not defined in graph '${this.name}'`);
      }
    }
    for (const v of inputs) if (v && !this.values.has(v.name)) this.parent?.markReadBySubgraph(v.name);
    const node: NodeProto = {
      name: options.name ?? this.uniqueName(opType),
      opType,
      input: inputs.map((v) => (v ? v.name : '')),
      output: outNames,
    };
    if (options.domain) node.domain = options.domain;
    if (attribute.length) node.attribute = attribute;
    const inferred = this.infer(opType, inputs, attrs, outNames.length);
    const outs = outNames.map((n, i) => {
      const v = new Value(n, options.dtypes?.[i] ?? inferred[i]?.dtype, options.shapes?.[i] ?? inferred[i]?.shape);
      this.values.set(n, v);
      this.producers.set(n, node);
      return v;
    });
    this.nodes.push(node);
    return outs;
  }

  /** A node with one output. */
  op(opType: string, inputs: NodeInput[], attrs: Attributes = {}, options: NodeOptions = {}): Value {
    return this.node(opType, inputs, attrs, options)[0];
  }

  private infer(opType: string, inputs: NodeInput[], attrs: Attributes, count: number): { dtype?: DType; shape?: readonly Dim[] }[] {
    const first = inputs[0];
    if (ELEMENTWISE.has(opType)) {
      const present = inputs.filter((v): v is Value => !!v);
      let shape: readonly Dim[] | undefined = present[0]?.shape;
      for (const v of present.slice(1)) shape = shape && v.shape ? broadcastShapes(shape, v.shape, `${opType} of '${present[0].name}' and '${v.name}'`) : undefined;
      const dtype = COMPARISON.has(opType) ? 'bool' : opType === 'Where' ? inputs[1]?.dtype : first?.dtype;
      return [{ dtype, shape }];
    }
    if (COMPARISON.has(opType)) return [{ dtype: 'bool', shape: first?.shape }];
    if (UNARY_SAME.has(opType)) return Array.from({ length: count }, (_, i) => (i === 0 ? { dtype: first?.dtype, shape: first?.shape } : { dtype: 'bool' as DType, shape: first?.shape }));
    switch (opType) {
      case 'Cast': {
        const to = attrs.to;
        return [{ dtype: fromOnnxDataType(typeof to === 'object' && to !== null && 'value' in to ? (to.value as number) : (to as number)), shape: first?.shape }];
      }
      case 'CastLike': return [{ dtype: inputs[1]?.dtype, shape: first?.shape }];
      case 'Shape': return [{ dtype: 'int64', shape: [shapeLength(first?.rank, attrs.start as number | undefined, attrs.end as number | undefined)] }];
      case 'ArgMax': case 'ArgMin': return [{ dtype: 'int64', shape: reducedShape(first?.shape, [(attrs.axis as number | undefined) ?? 0], attrs.keepdims !== 0) }];
      case 'NonZero': return [{ dtype: 'int64', shape: [first?.rank ?? unknownDim(), unknownDim()] }];
      case 'ConstantOfShape': {
        const value = attrs.value as TensorProto | undefined;
        const length = inputs[0]?.shape?.[0];
        const shape = typeof length === 'number' ? Array.from({ length }, () => unknownDim()) : undefined;
        return [{ dtype: value?.dataType ? fromOnnxDataType(value.dataType) : 'float32', shape }];
      }
      case 'Constant': {
        const value = attrs.value as TensorProto | undefined;
        if (value?.dataType) return [{ dtype: fromOnnxDataType(value.dataType), shape: value.dims ?? [] }];
        if (attrs.value_float !== undefined) return [{ dtype: 'float32', shape: [] }];
        if (attrs.value_int !== undefined) return [{ dtype: 'int64', shape: [] }];
        if (attrs.value_floats !== undefined) return [{ dtype: 'float32', shape: [(attrs.value_floats as number[]).length] }];
        if (attrs.value_ints !== undefined) return [{ dtype: 'int64', shape: [(attrs.value_ints as number[]).length] }];
        return [{}];
      }
      // The second output of these is int64 indices.
      case 'MaxPool': case 'TopK': return [{ dtype: first?.dtype }, { dtype: 'int64' as DType }].slice(0, count);
      case 'Unique': return [{ dtype: first?.dtype }, { dtype: 'int64' as DType }, { dtype: 'int64' as DType }, { dtype: 'int64' as DType }].slice(0, count);
      case 'OneHot': return [{ dtype: inputs[2]?.dtype }];
      case 'Size': return [{ dtype: 'int64', shape: [] }];
      case 'Transpose': {
        const perm = attrs.perm as number[] | undefined;
        const shape = first?.shape && (perm ? perm.map((p) => first.shape![p]) : [...first.shape].reverse());
        return [{ dtype: first?.dtype, shape }];
      }
      case 'MatMul': return [{ dtype: first?.dtype, shape: matmulShape(first?.shape, inputs[1]?.shape, `MatMul of '${first?.name}' and '${inputs[1]?.name}'`) }];
      case 'If': case 'Loop': case 'Scan': return subgraphOutputs(opType, attrs, inputs, count);
      default: return Array.from({ length: count }, () => ({ dtype: first?.dtype }));
    }
  }

  // ---- element-wise arithmetic (numbers become scalar constants) ----

  private binary(op: string, a: ValueLike, b: ValueLike): Value {
    const dtype = a instanceof Value ? a.dtype : b instanceof Value ? b.dtype : 'float32';
    const va = this.lift(a, dtype);
    const vb = this.lift(b, dtype);
    if (va.dtype && vb.dtype && va.dtype !== vb.dtype) {
      throw new TypeError(`${op}: operands '${va.name}' (${va.dtype}) and '${vb.name}' (${vb.dtype}) differ in element type`);
    }
    return this.op(op, [va, vb]);
  }
  add(a: ValueLike, b: ValueLike): Value { return this.binary('Add', a, b); }
  sub(a: ValueLike, b: ValueLike): Value { return this.binary('Sub', a, b); }
  mul(a: ValueLike, b: ValueLike): Value { return this.binary('Mul', a, b); }
  div(a: ValueLike, b: ValueLike): Value { return this.binary('Div', a, b); }
  pow(a: ValueLike, b: ValueLike): Value { return this.binary('Pow', a, b); }
  max(a: ValueLike, b: ValueLike): Value { return this.binary('Max', a, b); }
  min(a: ValueLike, b: ValueLike): Value { return this.binary('Min', a, b); }
  equal(a: ValueLike, b: ValueLike): Value { return this.binary('Equal', a, b); }
  less(a: ValueLike, b: ValueLike): Value { return this.binary('Less', a, b); }
  greater(a: ValueLike, b: ValueLike): Value { return this.binary('Greater', a, b); }
  lessOrEqual(a: ValueLike, b: ValueLike): Value { return this.binary('LessOrEqual', a, b); }
  greaterOrEqual(a: ValueLike, b: ValueLike): Value { return this.binary('GreaterOrEqual', a, b); }
  and(a: Value, b: Value): Value { return this.op('And', [a, b]); }
  or(a: Value, b: Value): Value { return this.op('Or', [a, b]); }
  not(a: Value): Value { return this.op('Not', [a]); }
  /** Sum of any number of values (one Sum node). */
  sum(values: Value[]): Value { return values.length === 1 ? values[0] : this.op('Sum', values); }
  where(cond: Value, a: ValueLike, b: ValueLike): Value {
    const dtype = a instanceof Value ? a.dtype : b instanceof Value ? b.dtype : 'float32';
    const [va, vb] = [this.lift(a, dtype), this.lift(b, dtype)];
    if (cond.dtype && cond.dtype !== 'bool') throw new TypeError(`Where: condition '${cond.name}' is ${cond.dtype}, not bool`);
    if (va.dtype && vb.dtype && va.dtype !== vb.dtype) {
      throw new TypeError(`Where: operands '${va.name}' (${va.dtype}) and '${vb.name}' (${vb.dtype}) differ in element type`);
    }
    return this.op('Where', [cond, va, vb]);
  }

  neg(x: Value): Value { return this.op('Neg', [x]); }
  abs(x: Value): Value { return this.op('Abs', [x]); }
  sqrt(x: Value): Value { return this.op('Sqrt', [x]); }
  exp(x: Value): Value { return this.op('Exp', [x]); }
  log(x: Value): Value { return this.op('Log', [x]); }
  reciprocal(x: Value): Value { return this.op('Reciprocal', [x]); }
  sign(x: Value): Value { return this.op('Sign', [x]); }
  relu(x: Value): Value { return this.op('Relu', [x]); }
  sigmoid(x: Value): Value { return this.op('Sigmoid', [x]); }
  tanh(x: Value): Value { return this.op('Tanh', [x]); }
  identity(x: Value): Value { return this.op('Identity', [x]); }
  cast(x: Value, to: DType): Value { return x.dtype === to ? x : this.op('Cast', [x], { to: toOnnxDataType(to) }); }
  /** Clip to [min, max]; either bound may be omitted. Before opset 11 the bounds are float attributes. */
  clip(x: Value, min?: ValueLike, max?: ValueLike): Value {
    if (this.opset < 11) {
      if (min instanceof Value || max instanceof Value) throw new RangeError(`clip: opset ${this.opset} takes only numbers as bounds (Clip's min and max are attributes before opset 11)`);
      return this.op('Clip', [x], { min: min === undefined ? undefined : floatAttr(min), max: max === undefined ? undefined : floatAttr(max) });
    }
    return this.op('Clip', [x, min === undefined ? undefined : this.lift(min, x.dtype), max === undefined ? undefined : this.lift(max, x.dtype)]);
  }

  // ---- shapes and reductions ----

  matmul(a: Value, b: Value): Value { return this.op('MatMul', [a, b]); }
  shape(x: Value): Value { return this.op('Shape', [x]); }
  size(x: Value): Value { return this.op('Size', [x]); }
  reshape(x: Value, shape: Value | readonly number[]): Value {
    const s = shape instanceof Value ? shape : this.ints(shape);
    const known = shape instanceof Value ? undefined : inferReshape(x, shape);
    return this.op('Reshape', [x, s], {}, { shapes: [known] });
  }
  transpose(x: Value, perm?: number[]): Value { return this.op('Transpose', [x], { perm }); }
  concat(values: Value[], axis: number): Value { return this.op('Concat', values, { axis }); }
  expand(x: Value, shape: Value): Value { return this.op('Expand', [x, shape]); }
  unsqueeze(x: Value, axes: number[]): Value {
    const shapes = [unsqueezedShape(x, axes)];
    return this.opset >= 13 ? this.op('Unsqueeze', [x, this.ints(axes)], {}, { shapes }) : this.op('Unsqueeze', [x], { axes }, { shapes });
  }
  squeeze(x: Value, axes?: number[]): Value {
    const shapes = [squeezedShape(x, axes)];
    if (this.opset >= 13) return this.op('Squeeze', [x, axes ? this.ints(axes) : undefined], {}, { shapes });
    return this.op('Squeeze', [x], { axes }, { shapes });
  }
  slice(x: Value, starts: readonly number[], ends: readonly number[], axes?: readonly number[], steps?: readonly number[]): Value {
    if (this.opset < 10) {
      // Slice-1 takes starts, ends and axes as attributes and has no steps.
      if (steps && steps.some((s) => s !== 1)) throw new RangeError(`slice: steps [${steps.join(', ')}] need opset 10 or later, the graph has opset ${this.opset}`);
      return this.op('Slice', [x], { starts: [...starts], ends: [...ends], axes: axes ? [...axes] : undefined });
    }
    const inputs = [x, this.ints(starts), this.ints(ends), axes ? this.ints(axes) : undefined, steps ? this.ints(steps) : undefined];
    // Trailing inputs not given are left off, not named '': onnxruntime-web's WebGPU Slice rejects an empty one.
    while (inputs[inputs.length - 1] === undefined) inputs.pop();
    return this.op('Slice', inputs);
  }
  /** A tensor of `shape` (a 1-D int64 value) filled with `value` of `dtype`. */
  constantOfShape(shape: Value, value: number, dtype: DType = 'float32'): Value {
    return this.op('ConstantOfShape', [shape], { value: tensorFromArray('value', dtype, [1], toTyped(dtype, [value])) }, { dtypes: [dtype] });
  }

  /**
   * A reduction over `axes` (all axes when omitted), emitted in the form the opset wants: axes as an input
   * from opset 18 (ReduceSum from 13), as an attribute before.
   */
  reduce(op: 'ReduceSum' | 'ReduceMean' | 'ReduceMax' | 'ReduceMin' | 'ReduceL2' | 'ReduceSumSquare' | 'ReduceProd' | 'ReduceL1' | 'ReduceLogSumExp',
    x: Value, axes?: readonly number[], keepdims = false): Value {
    const axesAsInput = op === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    const shape = reducedShape(x.shape, axes, keepdims);
    if (axesAsInput) return this.op(op, [x, axes ? this.ints(axes) : undefined], { keepdims: keepdims ? 1 : 0 }, { shapes: [shape] });
    return this.op(op, [x], { axes: axes ? [...axes] : undefined, keepdims: keepdims ? 1 : 0 }, { shapes: [shape] });
  }
  reduceSum(x: Value, axes?: readonly number[], keepdims = false): Value { return this.reduce('ReduceSum', x, axes, keepdims); }
  reduceMean(x: Value, axes?: readonly number[], keepdims = false): Value { return this.reduce('ReduceMean', x, axes, keepdims); }
  reduceMax(x: Value, axes?: readonly number[], keepdims = false): Value { return this.reduce('ReduceMax', x, axes, keepdims); }
  reduceL2(x: Value, axes?: readonly number[], keepdims = false): Value { return this.reduce('ReduceL2', x, axes, keepdims); }
  reduceSumSquare(x: Value, axes?: readonly number[], keepdims = false): Value { return this.reduce('ReduceSumSquare', x, axes, keepdims); }

  // ---- subgraphs ----

  /**
   * A builder for a subgraph attribute (If/Loop/Scan body) that may read this graph's values. Names are
   * unique across both graphs, as ONNX wants; generated names start with `name/`.
   */
  subgraph(name: string): GraphBuilder {
    const sub = new GraphBuilder(name, { opset: this.opset, extraOpsets: this.extraOpsets });
    sub.parent = this;
    sub.usedNames = this.usedNames;
    sub.scopes.push(...this.scopes, name);
    return sub;
  }

  /**
   * Copies another graph's nodes and initializers into this one under a name scope, feeding its inputs from
   * `inputs` (by input name). Returns its outputs by their names in that graph. Inputs that `inputs` does not
   * name must be initializers of that graph. Inlining the same graph again copies its nodes again but reads
   * the initializers copied the first time (the same TensorProto objects are copied once).
   */
  inline(graph: GraphProto, inputs: Record<string, Value>, scope: string): Record<string, Value> {
    return this.scope(scope, () => {
      const rename = new Map<string, string>();
      for (const inp of graph.input ?? []) {
        if (!inputs[inp.name!] && !(graph.initializer ?? []).some((t) => t.name === inp.name)) {
          throw new RangeError(`inline '${scope}': graph input '${inp.name}' is not given`);
        }
      }
      for (const [name, value] of Object.entries(inputs)) {
        if (!(graph.input ?? []).some((i) => i.name === name)) throw new RangeError(`inline '${scope}': '${name}' is not an input of graph '${graph.name ?? ''}'`);
        if (!this.visible(this.current(value.name))) throw new RangeError(`inline '${scope}': the value '${value.name}' given for '${name}' is not defined in graph '${this.name}'`);
        rename.set(name, this.current(value.name));
        if (!this.values.has(this.current(value.name))) this.parent?.markReadBySubgraph(this.current(value.name));
      }
      // Check every name the graph reads before copying anything, so a failed inline leaves this graph as it was.
      const defined = new Set([...rename.keys(), ...(graph.initializer ?? []).map((t) => t.name!)]);
      for (const n of graph.node ?? []) {
        for (const i of n.input ?? []) {
          if (i !== '' && !defined.has(i)) throw new RangeError(`inline '${scope}': node '${n.name || n.opType}' reads '${i}', which graph '${graph.name ?? ''}' does not define before it`);
        }
        for (const o of n.output ?? []) defined.add(o);
      }
      for (const o of graph.output ?? []) {
        if (!defined.has(o.name!)) throw new RangeError(`inline '${scope}': output '${o.name}' of graph '${graph.name ?? ''}' is not defined in it`);
      }
      const fresh = (n: string) => {
        if (!n) return n;
        if (!rename.has(n)) rename.set(n, this.uniqueName(n));
        return rename.get(n)!;
      };
      for (const t of graph.initializer ?? []) {
        if (inputs[t.name!]) continue;
        const copy = this.inlined.get(t);
        if (copy !== undefined) {
          rename.set(t.name!, this.current(copy));
          continue;
        }
        this.addInitializer({ ...t, name: fresh(t.name!) });
        this.inlined.set(t, rename.get(t.name!)!);
      }
      const known = new Map([...(graph.valueInfo ?? []), ...(graph.output ?? [])].map((v) => [v.name ?? '', v] as const));
      for (const n of graph.node ?? []) {
        const copy: NodeProto = { ...n, input: (n.input ?? []).map(fresh), output: (n.output ?? []).map(fresh), name: this.uniqueName(n.name || n.opType!) };
        // Subgraphs (If/Loop bodies) read the inlined graph's names: rename them the same way, consistently.
        if (n.attribute?.some((a) => a.g || a.graphs)) copy.attribute = n.attribute.map((a) => renameAttribute(a, fresh));
        this.nodes.push(copy);
        (n.output ?? []).forEach((original, k) => {
          if (!original) return;
          const o = copy.output![k];
          const v = valueFromInfo(o, known.get(original));
          this.values.set(o, v);
          this.producers.set(o, copy);
        });
      }
      const result: Record<string, Value> = {};
      for (const o of graph.output ?? []) result[o.name!] = this.lookup(rename.get(o.name!)!)!;
      return result;
    });
  }

  // ---- results ----

  /** The graph as a GraphProto (for subgraph attributes or inlining). */
  toGraph(): GraphProto {
    return {
      name: this.name,
      node: this.nodes.map((n) => ({ ...n })),
      input: this.inputs.map((i) => ({ ...i })),
      output: this.outputs.map((o) => ({ ...o })),
      initializer: [...this.initializers.values()],
    };
  }

  /** The whole model. */
  build(options: { irVersion?: number; producerName?: string; docString?: string } = {}): ModelProto {
    if (this.outputs.length === 0) throw new RangeError(`graph '${this.name}' has no outputs`);
    return {
      irVersion: options.irVersion ?? irVersionFor(this.opset),
      producerName: options.producerName ?? 'ortrain',
      producerVersion: '0.1.0',
      docString: options.docString,
      opsetImport: [{ domain: '', version: this.opset }, ...Object.entries(this.extraOpsets).map(([domain, version]) => ({ domain, version }))],
      graph: this.toGraph(),
    };
  }

  /** Number of nodes added so far. */
  get nodeCount(): number {
    return this.nodes.length;
  }
}

/** A Value for a name, with the element type and shape its ValueInfoProto gives, when there is one. */
/** The outputs of If (its then branch's), Loop and Scan (carried values, then scan outputs with a new axis). */
function subgraphOutputs(opType: string, attrs: Attributes, inputs: NodeInput[], count: number): { dtype?: DType; shape?: readonly Dim[] }[] {
  const body = (opType === 'If' ? attrs.then_branch : attrs.body) as GraphProto | undefined;
  const outs = (body?.output ?? []).map((o) => valueFromInfo(o.name ?? '', o));
  const carried = opType === 'Loop' ? inputs.length - 2 : opType === 'Scan' ? inputs.length - Number(attrs.num_scan_inputs ?? 0) : count;
  const offset = opType === 'Loop' ? 1 : 0;
  return Array.from({ length: count }, (_, i) => {
    const o = outs[offset + i];
    if (i < carried) return { dtype: o?.dtype ?? inputs[(opType === 'Loop' ? 2 : 0) + i]?.dtype, shape: o?.shape };
    return { dtype: o?.dtype };
  });
}

function valueFromInfo(name: string, info: ValueInfoProto | undefined): Value {
  const t = info?.type?.tensorType;
  const dtype = t?.elemType ? fromOnnxDataType(t.elemType) : undefined;
  const shape = t?.shape ? (t.shape.dim ?? []).map((d) => d.dimValue ?? d.dimParam ?? unknownDim()) : undefined;
  return new Value(name, dtype, shape);
}

/** A copy of a subgraph attribute with every value name passed through `rename`. */
function renameAttribute(attr: AttributeProto, rename: (name: string) => string): AttributeProto {
  const graph = (g: GraphProto): GraphProto => ({
    ...g,
    node: (g.node ?? []).map((n) => ({
      ...n,
      input: (n.input ?? []).map(rename),
      output: (n.output ?? []).map(rename),
      attribute: n.attribute?.map((a) => renameAttribute(a, rename)),
    })),
    input: (g.input ?? []).map((i) => ({ ...i, name: rename(i.name ?? '') })),
    output: (g.output ?? []).map((o) => ({ ...o, name: rename(o.name ?? '') })),
    initializer: (g.initializer ?? []).map((t) => ({ ...t, name: rename(t.name ?? '') })),
    valueInfo: g.valueInfo?.map((v) => ({ ...v, name: rename(v.name ?? '') })),
  });
  if (!attr.g && !attr.graphs) return attr;
  return { ...attr, g: attr.g && graph(attr.g), graphs: attr.graphs?.map(graph) };
}

/** The IR version that goes with an ai.onnx opset: the one that introduced it, and 8 for older opsets. */
function irVersionFor(opset: number): number {
  if (opset >= 23) return 11;
  if (opset >= 21) return 10;
  if (opset >= 19) return 9;
  return 8;
}

function valueInfo(name: string, dtype: DType | undefined, shape: readonly Dim[] | undefined): ValueInfoProto {
  const info: ValueInfoProto = { name };
  if (dtype) {
    info.type = { tensorType: { elemType: toOnnxDataType(dtype) } };
    if (shape) {
      info.type.tensorType!.shape = {
        dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : d.startsWith('unk__') ? {} : { dimParam: d })),
      };
    }
  }
  return info;
}

function toTyped(dtype: DType, values: (number | bigint)[]): TensorData {
  switch (dtype) {
    case 'float32': return Float32Array.from(values as number[]);
    case 'float64': return Float64Array.from(values as number[]);
    case 'int32': return Int32Array.from(values as number[]);
    case 'int64': return BigInt64Array.from(values.map((v) => BigInt(v)));
    case 'bool': case 'uint8': return Uint8Array.from(values as number[]);
    default: return tensorToArray(tensorFromArray('tmp', dtype, [values.length], values as number[]));
  }
}

function matmulShape(a: readonly Dim[] | undefined, b: readonly Dim[] | undefined, where: string): Dim[] | undefined {
  if (!a || !b || a.length === 0 || b.length === 0) return undefined;
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const [k1, k2] = [a2[a2.length - 1], b2[b2.length - 2]];
  if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
    throw new RangeError(`${where}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not multiply (${k1} vs ${k2})`);
  }
  const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2), where);
  const out: Dim[] = [...batch, a2[a2.length - 2], b2[b2.length - 1]];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.splice(out.length - 1, 1);
  return out;
}

/** Length of Shape's output for an input of rank `rank` (start and end as ONNX clamps them). */
function shapeLength(rank: number | undefined, start = 0, end?: number): Dim {
  if (rank === undefined) return unknownDim();
  const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + rank : i, 0), rank);
  return Math.max(clamp(end ?? rank) - clamp(start), 0);
}

function reducedShape(shape: readonly Dim[] | undefined, axes: readonly number[] | undefined, keepdims: boolean): Dim[] | undefined {
  if (!shape) return undefined;
  const r = shape.length;
  const set = new Set((axes ?? shape.map((_, i) => i)).map((a) => (a < 0 ? a + r : a)));
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!set.has(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

/** The shape after inserting size-1 axes at `axes` (of the output's rank); throws for axes out of range. */
function unsqueezedShape(x: Value, axes: readonly number[]): Dim[] | undefined {
  if (!x.shape) return undefined;
  const rank = x.shape.length + axes.length;
  const at = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
  if (at.size !== axes.length || [...at].some((a) => a < 0 || a >= rank)) {
    throw new RangeError(`unsqueeze of '${x.name}': axes [${axes.join(', ')}] do not fit rank ${x.shape.length} + ${axes.length}`);
  }
  const rest = [...x.shape];
  return Array.from({ length: rank }, (_, i) => (at.has(i) ? 1 : rest.shift()!));
}

/** The shape after removing size-1 axes (`axes`, or every size-1 axis); throws when an axis is not of size 1. */
function squeezedShape(x: Value, axes: readonly number[] | undefined): Dim[] | undefined {
  if (!x.shape) return undefined;
  const shape = x.shape;
  if (!axes) return shape.some((d) => typeof d === 'string') ? undefined : shape.filter((d) => d !== 1);
  const at = new Set(axes.map((a) => (a < 0 ? a + shape.length : a)));
  for (const a of at) {
    if (a < 0 || a >= shape.length) throw new RangeError(`squeeze of '${x.name}': axes [${axes.join(', ')}] do not fit rank ${shape.length}`);
    const d = shape[a];
    if (typeof d === 'number' && d !== 1) throw new RangeError(`squeeze of '${x.name}': axis ${a} of shape [${shape.join(', ')}] is not of size 1`);
  }
  return shape.filter((_, i) => !at.has(i));
}

/** The shape a Reshape to `target` gives (0 copies a size, -1 takes the rest); throws when sizes cannot match. */
function inferReshape(x: Value, target: readonly number[]): Dim[] | undefined {
  const shape = x.shape;
  const fixed = shape !== undefined && shape.every((d) => typeof d === 'number');
  if (!fixed) return !target.includes(-1) && !target.includes(0) ? [...target] : undefined;
  const total = (shape as number[]).reduce((a, b) => a * b, 1);
  const dims = target.map((d, i) => (d === 0 ? (shape[i] as number) : d));
  const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const fits = dims.includes(-1) ? known !== 0 && total % known === 0 : known === total;
  if (!fits) throw new RangeError(`reshape of '${x.name}': [${shape.join(', ')}] (${total} elements) cannot become [${target.join(', ')}]`);
  return dims.map((d) => (d === -1 ? total / known : d));
}
