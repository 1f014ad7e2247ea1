import {
  AttributeType, DataType, GraphBuilder, ModelProto, Value, broadcastShapes, decodeModel, floatAttr, tensorToArray, validateModel,
} from '@ortrain/graph-builder';
import { fixtureBytes, random, run, values } from './helpers';

/** Every model the builder emits must validate clean before it runs. */
function built(b: GraphBuilder): ModelProto {
  const model = b.build();
  validateModel(model);
  return model;
}

const f32 = (xs: number[]) => Float32Array.from(xs);

describe('broadcasting', () => {
  test('ONNX multidirectional broadcasting of shapes', () => {
    expect(broadcastShapes([2, 3], [3], 'w')).toEqual([2, 3]);
    expect(broadcastShapes([4, 1, 5], [3, 1], 'w')).toEqual([4, 3, 5]);
    expect(broadcastShapes([], [2, 2], 'w')).toEqual([2, 2]);
    expect(broadcastShapes(['batch', 1], [1, 7], 'w')).toEqual(['batch', 7]);
    expect(broadcastShapes(['batch', 3], [3], 'w')).toEqual(['batch', 3]);
    expect(broadcastShapes(['n'], [4], 'w')).toEqual([4]); // a symbolic size meeting a fixed one must be it (or 1)
    expect(broadcastShapes(['n'], ['n'], 'w')).toEqual(['n']);
    const [d] = broadcastShapes(['n'], ['m'], 'w');
    expect(typeof d).toBe('string'); // unknown: a fresh symbolic dimension
    expect(d).not.toBe('n');
  });

  test('sizes that do not broadcast throw, naming the op, the values and the dimension', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2, 3]);
    const y = b.input('y', 'float32', [4]);
    expect(() => b.add(x, y)).toThrow(new RangeError("Add of 'x' and 'y': shapes [2, 3] and [4] do not broadcast (dimension 1: 3 vs 4)"));
    expect(b.nodeCount).toBe(0);
  });

  test('element-wise results carry the broadcast shape, and it runs', async () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2, 1]);
    const y = b.input('y', 'float32', [3]);
    const z = b.mul(b.add(x, y), 2);
    expect(z.shape).toEqual([2, 3]);
    expect(z.dtype).toBe('float32');
    b.output(z, 'z');
    const out = await run(built(b), { x: { data: f32([1, 2]), dims: [2, 1] }, y: { data: f32([10, 20, 30]), dims: [3] } });
    expect(out.z.dims).toEqual([2, 3]);
    expect(values(out.z)).toEqual([22, 42, 62, 24, 44, 64]);
  });
});

describe('element types', () => {
  test('operands of different element types are an error naming both', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2]);
    const i = b.input('i', 'int64', [2]);
    expect(() => b.add(x, i)).toThrow(new TypeError("Add: operands 'x' (float32) and 'i' (int64) differ in element type"));
  });

  test('numbers take the element type of the other operand', async () => {
    const b = new GraphBuilder('g');
    const i = b.input('i', 'int32', [3]);
    const d = b.input('d', 'float64', [3]);
    const yi = b.add(i, 5);
    const yd = b.mul(0.5, d);
    expect([yi.dtype, yd.dtype]).toEqual(['int32', 'float64']);
    b.output(yi, 'yi');
    b.output(yd, 'yd');
    const model = built(b);
    const kinds = model.graph!.initializer!.map((t) => t.dataType).sort();
    expect(kinds).toEqual([DataType.INT32, DataType.DOUBLE].sort());
    const out = await run(model, { i: { data: Int32Array.from([1, 2, 3]), dims: [3] }, d: { data: Float64Array.from([2, 4, 0.2]), dims: [3] } });
    expect(values(out.yi)).toEqual([6, 7, 8]);
    expect(values(out.yd)).toEqual([1, 2, 0.1]);
  });

  test('cast infers its element type and skips a cast to the same type', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['n']);
    expect(b.cast(x, 'float32')).toBe(x);
    const y = b.cast(x, 'float16');
    expect(y.dtype).toBe('float16');
    expect(y.shape).toEqual(['n']);
    expect(b.op('Cast', [x], { to: { kind: 'int', value: DataType.INT64 } }).dtype).toBe('int64');
  });
});

describe('constants', () => {
  test('equal scalar constants are shared; different values, types or shapes are not', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2]);
    const i = b.input('i', 'int64', [2]);
    const a1 = b.constant(2);
    const a2 = b.constant(2, 'float32');
    expect(a2).toBe(a1);
    b.mul(x, 2);
    b.add(x, 2);
    b.add(i, 2);
    expect(b.constant(-0)).not.toBe(b.constant(0));
    expect(b.constant([2])).not.toBe(a1); // shape [1], not a scalar
    expect(b.ints([1, 2])).toBe(b.ints([1, 2]));
    b.output(b.add(x, 3), 'y');
    const inits = b.build().graph!.initializer!;
    // float 2, int64 2, float -0, float 0, float [2], int64 [1,2], float 3
    expect(inits.length).toBe(7);
    const mulNode = b.build().graph!.node!.find((n) => n.opType === 'Mul')!;
    expect(mulNode.input![1]).toBe(a1.name);
  });

  test('large constants are not deduplicated (no hashing of big tensors)', () => {
    const b = new GraphBuilder('g');
    const big = new Float32Array(100).fill(1);
    expect(b.constant(big, 'float32', [100])).not.toBe(b.constant(big, 'float32', [100]));
  });

  test('constants keep their values', () => {
    const b = new GraphBuilder('g');
    const c = b.constant([1.5, -2], 'float64');
    b.output(b.identity(c), 'y');
    const init = b.build().graph!.initializer!.find((i) => i.name === c.name)!;
    expect(Array.from(tensorToArray(init) as Float64Array)).toEqual([1.5, -2]);
    expect(init.dims).toEqual([2]);
  });
});

describe('names and scopes', () => {
  test('generated names are unique and carry the scope path', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2]);
    const names: string[] = [];
    b.scope('adam', () => {
      names.push(b.add(x, 1).name, b.add(x, 1).name);
      b.scope('inner', () => names.push(b.neg(x).name));
    });
    names.push(b.add(x, 1).name);
    expect(names[0].startsWith('adam/')).toBe(true);
    expect(names[2].startsWith('adam/inner/')).toBe(true);
    expect(names[3].startsWith('adam/')).toBe(false);
    expect(new Set(names).size).toBe(names.length);
    const model = built(b.output(b.sum([x]), 'y') && b);
    const nodeNames = model.graph!.node!.map((n) => n.name);
    expect(new Set(nodeNames).size).toBe(nodeNames.length);
  });

  test('a scope ends even when its function throws', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2]);
    expect(() => b.scope('s', () => { throw new Error('boom'); })).toThrow('boom');
    expect(b.neg(x).name.startsWith('s/')).toBe(false);
  });

  test('a name defined twice is an error naming it', () => {
    const b = new GraphBuilder('net');
    b.input('x', 'float32', [1]);
    expect(() => b.input('x', 'float32', [1])).toThrow(new RangeError("input: the name 'x' is already defined in graph 'net'"));
    expect(() => b.initializer('x', 'float32', [1], f32([1]))).toThrow(/initializer: the name 'x' is already defined/);
  });

  test('a value from another graph is refused', () => {
    const a = new GraphBuilder('a');
    const b = new GraphBuilder('b');
    const x = a.input('x', 'float32', [1]);
    expect(() => b.neg(x)).toThrow(new RangeError("Neg: input 'x' is not defined in graph 'b'"));
  });
});

describe('outputs', () => {
  test('a node result is renamed in place (no Identity); later uses of the old value follow the rename', async () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [3]);
    const y = b.mul(x, 3);
    const out = b.output(y, 'tripled');
    expect(out.name).toBe('tripled');
    expect(b.nodeCount).toBe(1);
    b.output(b.add(y, 1), 'plus_one'); // y is now 'tripled'
    const model = built(b);
    expect(model.graph!.node!.map((n) => n.opType)).toEqual(['Mul', 'Add']);
    expect(model.graph!.node![1].input![0]).toBe('tripled');
    const r = await run(model, { x: { data: f32([1, 2, 3]), dims: [3] } });
    expect(values(r.tripled)).toEqual([3, 6, 9]);
    expect(values(r.plus_one)).toEqual([4, 7, 10]);
  });

  test('an input goes out through an Identity; a value already read is renamed with its readers', async () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2]);
    const y = b.neg(x);
    const z = b.add(y, 1);
    b.output(x, 'x_out');
    b.output(y, 'y_out');
    b.output(z);
    const model = built(b);
    expect(model.graph!.node!.filter((n) => n.opType === 'Identity').length).toBe(1);
    expect(model.graph!.node!.find((n) => n.opType === 'Add')!.input).toContain('y_out');
    const r = await run(model, { x: { data: f32([1, -2]), dims: [2] } });
    expect(values(r.x_out)).toEqual([1, -2]);
    expect(values(r.y_out)).toEqual([-1, 2]);
    expect(values(r[z.name])).toEqual([0, 3]);
  });

  test('the same output twice is an error; a model needs an output', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2]);
    expect(() => b.build()).toThrow(/graph 'g' has no outputs/);
    const y = b.output(b.neg(x), 'y');
    expect(() => b.output(y)).toThrow(/output: 'y' is already an output/);
  });
});

describe('attributes', () => {
  test('attribute kinds come from the op table: alpha 1 is a float for LeakyRelu', async () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2]);
    b.output(b.op('LeakyRelu', [x], { alpha: 1 }), 'y');
    b.output(b.op('Gemm', [b.reshape(x, [1, 2]), b.constant([1, 1], 'float32', [2, 1])], { alpha: 2, transB: 0 }), 'g');
    const model = built(b);
    const alpha = model.graph!.node!.find((n) => n.opType === 'LeakyRelu')!.attribute![0];
    expect(alpha).toEqual({ name: 'alpha', type: AttributeType.FLOAT, f: 1 });
    const r = await run(model, { x: { data: f32([-3, 4]), dims: [2] } });
    expect(values(r.y)).toEqual([-3, 4]);
    expect(values(r.g)).toEqual([2]);
  });

  test('an op outside the table infers kinds from the value, or takes a stated kind', () => {
    const b = new GraphBuilder('g', { extraOpsets: { 'com.example': 1 } });
    const x = b.input('x', 'float32', [2]);
    const y = b.op('Custom', [x], { n: 3, r: 0.5, f: floatAttr(2), names: ['a', 'b'], list: [1, 2] }, { domain: 'com.example' });
    const node = (b.output(y, 'y'), b.build().graph!.node![0]);
    const byName = Object.fromEntries(node.attribute!.map((a) => [a.name, a]));
    expect(byName.n).toMatchObject({ type: AttributeType.INT, i: 3 });
    expect(byName.r).toMatchObject({ type: AttributeType.FLOAT, f: 0.5 });
    expect(byName.f).toMatchObject({ type: AttributeType.FLOAT, f: 2 });
    expect(byName.names.type).toBe(AttributeType.STRINGS);
    expect(byName.list).toMatchObject({ type: AttributeType.INTS, ints: [1, 2] });
    expect(b.build().opsetImport).toContainEqual({ domain: 'com.example', version: 1 });
  });
});

describe('inline', () => {
  /** y = x * w + 1, w an initializer of the inlined graph. */
  function affine(): ReturnType<GraphBuilder['toGraph']> {
    const g = new GraphBuilder('affine');
    const x = g.input('x', 'float32', [3]);
    const w = g.initializer('w', 'float32', [3], f32([1, 2, 3]));
    g.output(g.add(g.mul(x, w), 1), 'y');
    return g.toGraph();
  }

  test('a graph inlined twice under two scopes runs', async () => {
    const b = new GraphBuilder('outer');
    const x = b.input('x', 'float32', [3]);
    const first = b.inline(affine(), { x }, 'first');
    const second = b.inline(affine(), { x: first.y }, 'second');
    expect(first.y.name.startsWith('first/')).toBe(true);
    expect(second.y.name.startsWith('second/')).toBe(true);
    expect(second.y.dtype).toBe('float32');
    b.output(second.y, 'y');
    const model = built(b);
    // Each copy has its own weight and its own '+ 1' constant, under its scope.
    expect(model.graph!.initializer!.map((t) => t.name).sort()).toEqual(['first/const', 'first/w', 'second/const', 'second/w']);
    const r = await run(model, { x: { data: f32([1, 1, 1]), dims: [3] } });
    // first: [2, 3, 4]; second: [3, 7, 13]
    expect(values(r.y)).toEqual([3, 7, 13]);
  });

  test('the same graph inlined twice reads one copy of its initializers', async () => {
    const b = new GraphBuilder('outer');
    const x = b.input('x', 'float32', [3]);
    const g = affine();
    const first = b.inline(g, { x }, 'first');
    const second = b.inline(g, { x: first.y }, 'second');
    b.output(second.y, 'y');
    const model = built(b);
    expect(model.graph!.initializer!.map((t) => t.name).sort()).toEqual(['first/const', 'first/w']);
    expect(model.graph!.node!.filter((n) => n.opType === 'Mul')).toHaveLength(2);
    const r = await run(model, { x: { data: f32([1, 1, 1]), dims: [3] } });
    expect(values(r.y)).toEqual([3, 7, 13]);
  });

  test('an initializer of the inlined graph can be overridden by an input', async () => {
    const b = new GraphBuilder('outer');
    const x = b.input('x', 'float32', [3]);
    const g = affine();
    g.input!.push({ name: 'w', type: { tensorType: { elemType: DataType.FLOAT } } });
    const w = b.input('w2', 'float32', [3]);
    b.output(b.inline(g, { x, w }, 'a').y, 'y');
    const r = await run(built(b), { x: { data: f32([1, 2, 3]), dims: [3] }, w2: { data: f32([10, 10, 10]), dims: [3] } });
    expect(values(r.y)).toEqual([11, 21, 31]);
  });

  test('the fixture MLP inlined into a larger graph gives the model\'s own logits', async () => {
    const mlp = decodeModel(fixtureBytes('mlp'), 'mlp');
    const b = new GraphBuilder('wrapper');
    const input = b.input('images', 'float32', ['batch', 64]);
    const { logits } = b.inline(mlp.graph!, { input }, 'mlp');
    expect(logits.dtype).toBe('float32');
    b.output(b.op('Softmax', [logits], { axis: -1 }), 'probs');
    b.output(logits, 'logits');
    const rnd = random(3);
    const data = Float32Array.from({ length: 128 }, () => rnd());
    const mine = await run(built(b), { images: { data, dims: [2, 64] } });
    const theirs = await run(fixtureBytes('mlp'), { input: { data, dims: [2, 64] } });
    expect(Buffer.from(mine.logits.data as Float32Array).equals(Buffer.from(theirs.logits.data as Float32Array))).toBe(true);
    const p = values(mine.probs);
    expect(p.slice(0, 10).reduce((a, c) => a + c, 0)).toBeCloseTo(1, 5);
  });

  test('an If inside the inlined graph reads the renamed values', async () => {
    const g = new GraphBuilder('branchy');
    const x = g.input('x', 'float32', [2]);
    const c = g.input('c', 'bool', []);
    const doubled = g.mul(x, 2);
    const thenB = g.subgraph('then');
    thenB.output(thenB.add(doubled, 1), 'then_out');
    const elseB = g.subgraph('else');
    elseB.output(elseB.neg(doubled), 'else_out');
    g.output(g.op('If', [c], { then_branch: thenB.toGraph(), else_branch: elseB.toGraph() }, { dtypes: ['float32'] }), 'y');
    const b = new GraphBuilder('outer');
    const xi = b.input('xi', 'float32', [2]);
    const ci = b.input('ci', 'bool', []);
    b.output(b.inline(g.toGraph(), { x: xi, c: ci }, 'in').y, 'out');
    const model = built(b);
    const yes = await run(model, { xi: { data: f32([1, 2]), dims: [2] }, ci: { data: [true], dims: [], type: 'bool' } });
    const no = await run(model, { xi: { data: f32([1, 2]), dims: [2] }, ci: { data: [false], dims: [], type: 'bool' } });
    expect(values(yes.out)).toEqual([3, 5]);
    expect(values(no.out)).toEqual([-2, -4]);
  });

  test('bad inputs are errors naming them, and leave the graph as it was', () => {
    const b = new GraphBuilder('outer');
    const x = b.input('x', 'float32', [3]);
    const g = affine();
    expect(() => b.inline(g, {}, 's')).toThrow(new RangeError("inline 's': graph input 'x' is not given"));
    expect(() => b.inline(g, { x, z: x }, 's')).toThrow(new RangeError("inline 's': 'z' is not an input of graph 'affine'"));
    const broken = { ...g, node: [{ ...g.node![0], input: ['x', 'nowhere'] }, ...g.node!.slice(1)] };
    expect(() => b.inline(broken, { x }, 's')).toThrow(/inline 's': node '.*' reads 'nowhere', which graph 'affine' does not define before it/);
    expect(b.nodeCount).toBe(0);
    expect(b.toGraph().initializer).toEqual([]);
  });
});

describe('subgraph', () => {
  test('an If whose branches read the enclosing graph runs both ways', async () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['n']);
    const flag = b.input('flag', 'bool', []);
    const scale = b.mul(x, 10);
    const thenB = b.subgraph('then');
    thenB.output(thenB.add(scale, x), 'then_y');
    const elseB = b.subgraph('else');
    elseB.output(elseB.sub(scale, 1), 'else_y');
    b.output(b.op('If', [flag], { then_branch: thenB.toGraph(), else_branch: elseB.toGraph() }, { dtypes: ['float32'] }), 'y');
    const model = built(b);
    // Names are unique across the graph and its branches, as ONNX wants.
    const all = [...model.graph!.node!, ...model.graph!.node![1].attribute!.flatMap((a) => a.g!.node!)].flatMap((n) => n.output!);
    expect(new Set(all).size).toBe(all.length);
    const on = await run(model, { x: { data: f32([1, 2]), dims: [2] }, flag: { data: [true], dims: [], type: 'bool' } });
    const off = await run(model, { x: { data: f32([1, 2]), dims: [2] }, flag: { data: [false], dims: [], type: 'bool' } });
    expect(values(on.y)).toEqual([11, 22]);
    expect(values(off.y)).toEqual([9, 19]);
  });

  test('a value a branch reads is not renamed by output(): it goes out through an Identity', async () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2]);
    const flag = b.input('flag', 'bool', []);
    const doubled = b.mul(x, 2);
    const thenB = b.subgraph('then');
    thenB.output(thenB.add(doubled, 1), 'then_y');
    const elseB = b.subgraph('else');
    elseB.output(elseB.neg(x), 'else_y');
    b.output(b.op('If', [flag], { then_branch: thenB.toGraph(), else_branch: elseB.toGraph() }, { dtypes: ['float32'] }), 'y');
    b.output(doubled, 'doubled');
    const model = built(b);
    expect(model.graph!.node!.some((n) => n.opType === 'Identity' && n.output![0] === 'doubled')).toBe(true);
    const r = await run(model, { x: { data: f32([1, 2]), dims: [2] }, flag: { data: [true], dims: [], type: 'bool' } });
    expect(values(r.y)).toEqual([3, 5]);
    expect(values(r.doubled)).toEqual([2, 4]);
  });

  test('a subgraph sees values the enclosing graph defines after it was made', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1]);
    const sub = b.subgraph('body');
    const later = b.neg(x);
    expect(() => sub.add(later, 1)).not.toThrow();
    expect(() => sub.input('x', 'float32', [1])).toThrow(/the name 'x' is already defined/);
  });
});

describe('reductions by opset', () => {
  const cases: [number, string, 'input' | 'attribute'][] = [
    [13, 'ReduceSum', 'input'], [13, 'ReduceMean', 'attribute'],
    [17, 'ReduceSum', 'input'], [17, 'ReduceMean', 'attribute'], [17, 'ReduceL2', 'attribute'],
    [18, 'ReduceSum', 'input'], [18, 'ReduceMean', 'input'], [18, 'ReduceMax', 'input'], [18, 'ReduceSumSquare', 'input'],
    [11, 'ReduceSum', 'attribute'],
  ];
  const x = f32([1, 2, 3, 4, 5, 6]); // [[1, 2, 3], [4, 5, 6]]
  const expected: Record<string, { axis1: number[]; all: number }> = {
    ReduceSum: { axis1: [6, 15], all: 21 },
    ReduceMean: { axis1: [2, 5], all: 3.5 },
    ReduceMax: { axis1: [3, 6], all: 6 },
    ReduceL2: { axis1: [Math.sqrt(14), Math.sqrt(77)], all: Math.sqrt(91) },
    ReduceSumSquare: { axis1: [14, 77], all: 91 },
  };

  test.each(cases)('opset %i: %s takes its axes as an %s and runs', async (opset, op, form) => {
    const b = new GraphBuilder('r', { opset });
    const v = b.input('x', 'float32', [2, 3]);
    const kept = b.reduce(op as 'ReduceSum', v, [1], true);
    const dropped = b.reduce(op as 'ReduceSum', v, [-1], false);
    const all = b.reduce(op as 'ReduceSum', v);
    expect(kept.shape).toEqual([2, 1]);
    expect(dropped.shape).toEqual([2]);
    expect(all.shape).toEqual([]);
    b.output(kept, 'kept');
    b.output(dropped, 'dropped');
    b.output(all, 'all');
    const model = built(b);
    expect(model.opsetImport![0]).toEqual({ domain: '', version: opset });
    const node = model.graph!.node![0];
    if (form === 'input') {
      expect(node.input!.length).toBe(2);
      expect(node.attribute!.some((a) => a.name === 'axes')).toBe(false);
    } else {
      expect(node.input!.length).toBe(1);
      expect(node.attribute!.find((a) => a.name === 'axes')!.ints).toEqual([1]);
    }
    const r = await run(model, { x: { data: x, dims: [2, 3] } });
    expect(r.kept.dims).toEqual([2, 1]);
    values(r.kept).forEach((v2, i) => expect(v2).toBeCloseTo(expected[op].axis1[i], 5));
    values(r.dropped).forEach((v2, i) => expect(v2).toBeCloseTo(expected[op].axis1[i], 5));
    expect(r.all.dims).toEqual([]);
    expect(values(r.all)[0]).toBeCloseTo(expected[op].all, 4);
  });
});

describe('older opsets', () => {
  test('opset 10: clip bounds become float attributes; squeeze/unsqueeze take attribute axes', async () => {
    const b = new GraphBuilder('old', { opset: 10 });
    const x = b.input('x', 'float32', [3]);
    const c = b.clip(x, 0, 1);
    b.output(b.squeeze(b.unsqueeze(c, [0]), [0]), 'y');
    const model = built(b);
    const clip = model.graph!.node![0];
    expect(clip.input).toEqual(['x']);
    expect(clip.attribute).toEqual([{ name: 'min', type: AttributeType.FLOAT, f: 0 }, { name: 'max', type: AttributeType.FLOAT, f: 1 }]);
    const r = await run(model, { x: { data: f32([-1, 0.5, 7]), dims: [3] } });
    expect(values(r.y)).toEqual([0, 0.5, 1]);
    expect(() => b.clip(x, b.constant(0))).toThrow(/clip: opset 10 takes only numbers as bounds/);
  });

  test('opset 9: slice takes attributes; steps are refused', async () => {
    const b = new GraphBuilder('old', { opset: 9 });
    const x = b.input('x', 'float32', [2, 4]);
    b.output(b.slice(x, [1], [3], [1]), 'y');
    expect(() => b.slice(x, [0], [4], [1], [2])).toThrow(/slice: steps \[2\] need opset 10 or later/);
    const model = built(b);
    const r = await run(model, { x: { data: f32([0, 1, 2, 3, 4, 5, 6, 7]), dims: [2, 4] } });
    expect(r.y.dims).toEqual([2, 2]);
    expect(values(r.y)).toEqual([1, 2, 5, 6]);
  });

  test('opset 17: a slice without axes or steps leaves those inputs off (WebGPU rejects an empty one)', async () => {
    const b = new GraphBuilder('new');
    const x = b.input('x', 'float32', [6]);
    b.output(b.slice(x, [1], [3]), 'a');
    b.output(b.slice(x, [2], [5], [0]), 'b');
    const model = built(b);
    expect(model.graph!.node!.filter((n) => n.opType === 'Slice').map((n) => n.input!.length)).toEqual([3, 4]);
    expect(model.graph!.node!.every((n) => n.input!.every((i) => i !== ''))).toBe(true);
    const r = await run(model, { x: { data: f32([0, 1, 2, 3, 4, 5]), dims: [6] } });
    expect([values(r.a), values(r.b)]).toEqual([[1, 2], [2, 3, 4]]);
  });

  test('opset 17: clip, slice, squeeze and unsqueeze take inputs', async () => {
    const b = new GraphBuilder('new');
    const x = b.input('x', 'float32', [2, 4]);
    const s = b.slice(x, [0, 1], [2, 4], [0, 1], [1, 2]);
    const c = b.clip(s, undefined, 3);
    b.output(b.squeeze(b.unsqueeze(c, [0, 3]), [0, 3]), 'y');
    const model = built(b);
    expect(model.graph!.node!.every((n) => !n.attribute)).toBe(true);
    const r = await run(model, { x: { data: f32([0, 1, 2, 3, 4, 5, 6, 7]), dims: [2, 4] } });
    expect(values(r.y)).toEqual([1, 3, 3, 3]);
  });
});

describe('shapes', () => {
  test('symbolic dimensions reach the model and any size runs', async () => {
    const b = new GraphBuilder('sym');
    const x = b.input('x', 'float32', ['batch', 3]);
    const bias = b.initializer('bias', 'float32', [3], f32([1, 2, 3]));
    const y = b.add(x, bias);
    expect(y.shape).toEqual(['batch', 3]);
    const s = b.reduceSum(y, [1]);
    expect(s.shape).toEqual(['batch']);
    b.output(s, 's');
    const model = built(b);
    expect(model.graph!.input![0].type!.tensorType!.shape!.dim).toEqual([{ dimParam: 'batch' }, { dimValue: 3 }]);
    expect(model.graph!.output![0].type!.tensorType!.shape!.dim).toEqual([{ dimParam: 'batch' }]);
    for (const n of [1, 4]) {
      const r = await run(model, { x: { data: new Float32Array(n * 3), dims: [n, 3] } });
      expect(values(r.s)).toEqual(Array(n).fill(6));
    }
  });

  test('unknown sizes are written as dimensions without value or name', () => {
    const b = new GraphBuilder('u');
    const x = b.input('x', 'float32', ['n']);
    const y = b.input('y', 'float32', ['m']);
    b.output(b.add(x, y), 'z');
    expect(b.build().graph!.output![0].type!.tensorType!.shape!.dim).toEqual([{}]);
  });

  test('matmul, transpose, reshape and shape infer shapes', () => {
    const b = new GraphBuilder('s');
    const a = b.input('a', 'float32', ['batch', 2, 3]);
    const w = b.input('w', 'float32', [3, 4]);
    expect(b.matmul(a, w).shape).toEqual(['batch', 2, 4]);
    expect(b.matmul(b.input('v', 'float32', [3]), w).shape).toEqual([4]);
    expect(b.transpose(a, [0, 2, 1]).shape).toEqual(['batch', 3, 2]);
    expect(b.transpose(w).shape).toEqual([4, 3]);
    expect(b.reshape(w, [2, -1]).shape).toEqual([2, 6]);
    expect(b.reshape(w, [0, 2, 2]).shape).toEqual([3, 2, 2]);
    expect(b.shape(a).shape).toEqual([3]);
    expect(b.shape(a).dtype).toBe('int64');
    expect(b.matmul(a, b.input('stack', 'float32', [5, 1, 3, 4])).shape).toEqual([5, 'batch', 2, 4]);
    expect(() => b.matmul(w, w)).toThrow(new RangeError("MatMul of 'w' and 'w': shapes [3, 4] and [3, 4] do not multiply (4 vs 3)"));
    const c = b.input('c', 'float32', [2, 2, 3]);
    expect(() => b.matmul(c, b.input('d', 'float32', [3, 3, 4]))).toThrow(/MatMul of 'c' and 'd': shapes \[2\] and \[3\] do not broadcast/);
  });

  test('squeeze and unsqueeze infer shapes and check their axes', () => {
    for (const opset of [11, 17]) {
      const b = new GraphBuilder('s', { opset });
      const x = b.input('x', 'float32', ['batch', 3]);
      expect(b.unsqueeze(x, [0, -1]).shape).toEqual([1, 'batch', 3, 1]);
      expect(b.unsqueeze(x, [1]).shape).toEqual(['batch', 1, 3]);
      expect(b.squeeze(b.unsqueeze(x, [1]), [1]).shape).toEqual(['batch', 3]);
      expect(b.squeeze(b.input(`o${opset}`, 'float32', [1, 4, 1])).shape).toEqual([4]);
      expect(b.squeeze(x).shape).toBeUndefined(); // 'batch' might be 1
      expect(() => b.squeeze(x, [1])).toThrow(new RangeError("squeeze of 'x': axis 1 of shape [batch, 3] is not of size 1"));
      expect(() => b.squeeze(x, [-3])).toThrow(new RangeError("squeeze of 'x': axes [-3] do not fit rank 2"));
      expect(() => b.unsqueeze(x, [5])).toThrow(/unsqueeze of 'x': axes \[5\] do not fit rank 2 \+ 1/);
    }
  });

  test('where checks its condition and operand types', () => {
    const b = new GraphBuilder('w');
    const x = b.input('x', 'float32', [2]);
    const i = b.input('i', 'int32', [2]);
    const c = b.greater(x, 0);
    expect(b.where(c, x, 0).dtype).toBe('float32');
    expect(() => b.where(x, x, 0)).toThrow(new TypeError("Where: condition 'x' is float32, not bool"));
    expect(() => b.where(c, x, i)).toThrow(/Where: operands 'x' \(float32\) and 'i' \(int32\) differ in element type/);
  });

  test('a reshape to a size that does not match the element count is an error naming the value', () => {
    const b = new GraphBuilder('s');
    const w = b.input('w', 'float32', [3, 4]);
    expect(() => b.reshape(w, [5, -1])).toThrow(/reshape of 'w': \[3, 4\] \(12 elements\) cannot become \[5, -1\]/);
    expect(() => b.reshape(w, [2, 2])).toThrow(/reshape of 'w': \[3, 4\] \(12 elements\) cannot become \[2, 2\]/);
  });

  test('shape ops the optimizers use run in onnxruntime: concat, transpose, expand, constantOfShape, shape, size', async () => {
    const b = new GraphBuilder('shapes');
    const x = b.input('x', 'float32', [2, 3]);
    const t = b.transpose(x);
    expect(t.shape).toEqual([3, 2]);
    const c = b.concat([x, b.mul(x, 10)], 0);
    b.output(c, 'c');
    b.output(t, 't');
    b.output(b.expand(b.reshape(b.reduceSum(x, [1]), [2, 1]), b.ints([2, 4])), 'e');
    b.output(b.constantOfShape(b.shape(x), 7, 'int32'), 'k');
    b.output(b.size(x), 'n');
    const r = await run(built(b), { x: { data: f32([1, 2, 3, 4, 5, 6]), dims: [2, 3] } });
    expect(r.c.dims).toEqual([4, 3]);
    expect(values(r.c)).toEqual([1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60]);
    expect(values(r.t)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(values(r.e)).toEqual([6, 6, 6, 6, 15, 15, 15, 15]);
    expect(r.k.type).toBe('int32');
    expect(values(r.k)).toEqual([7, 7, 7, 7, 7, 7]);
    expect(values(r.n)).toEqual([6]);
  });

  test('every value the builder hands out is a Value of this graph', () => {
    const b = new GraphBuilder('s');
    const x = b.input('x', 'float32', [1]);
    expect(b.neg(x)).toBeInstanceOf(Value);
    expect(b.get('x')).toBe(x);
  });
});

describe('inferred types of index-producing ops', () => {
  test('Shape with start/end, ArgMax, NonZero, ConstantOfShape, Constant, TopK and MaxPool indices', async () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2, 3, 4]);
    const s = b.op('Shape', [x], { start: 1, end: -1 });
    expect(s.dtype).toBe('int64');
    expect(s.shape).toEqual([1]);
    const arg = b.op('ArgMax', [x], { axis: 2, keepdims: 0 });
    expect([arg.dtype, arg.shape]).toEqual(['int64', [2, 3]]);
    const nz = b.op('NonZero', [x]);
    expect([nz.dtype, nz.shape?.[0]]).toEqual(['int64', 3]);
    const filled = b.constantOfShape(s, 7, 'int32');
    expect(filled.dtype).toBe('int32');
    expect(filled.shape).toHaveLength(1);
    const c = b.op('Constant', [], { value_ints: [1, 2] });
    expect([c.dtype, c.shape]).toEqual(['int64', [2]]);
    const [values, indices] = b.node('TopK', [x, b.ints([2])], { axis: -1 }, { outputs: 2 });
    expect([values.dtype, indices.dtype]).toEqual(['float32', 'int64']);
    const [, pooled] = b.node('MaxPool', [x], { kernel_shape: [2] }, { outputs: 2 });
    expect(pooled.dtype).toBe('int64');
    b.output(s, 's'); b.output(arg, 'arg'); b.output(filled, 'filled'); b.output(indices, 'idx');
    const r = await run(built(b), { x: { data: f32(Array.from({ length: 24 }, (_, i) => (i * 7) % 5)), dims: [2, 3, 4] } });
    expect(Array.from(r.s.data as BigInt64Array)).toEqual([3n]);
    expect(r.arg.type).toBe('int64');
    expect(Array.from(r.filled.data as Int32Array)).toEqual([7, 7, 7]);
    expect(r.idx.type).toBe('int64');
  });
});
