import {
  AttributeProto, AttributeType, DataType, GraphBuilder, GraphProto, ModelProto, ModelValidationError, NodeProto,
  decodeModel, findModelProblems, makeAttribute, tensorFromArray, validateModel,
} from '@ortrain/graph-builder';
import { FIXTURE_MODELS, fixtureBytes } from './helpers';

const F = { tensorType: { elemType: DataType.FLOAT } };
const B = { tensorType: { elemType: DataType.BOOL } };

/** A graph with float inputs a and b (and optionally more), the given nodes, and the given outputs. */
function graph(nodes: NodeProto[], outputs: string[], extra: Partial<GraphProto> = {}): GraphProto {
  return {
    name: 'main',
    input: [{ name: 'a', type: F }, { name: 'b', type: F }, ...(extra.input ?? [])],
    node: nodes,
    output: outputs.map((name) => ({ name, type: F })),
    initializer: extra.initializer,
  };
}

function model(nodes: NodeProto[], outputs: string[], opts: { opset?: number; imports?: ModelProto['opsetImport']; extra?: Partial<GraphProto> } = {}): ModelProto {
  return {
    irVersion: 8,
    opsetImport: opts.imports ?? [{ domain: '', version: opts.opset ?? 17 }],
    graph: graph(nodes, outputs, opts.extra),
  };
}

const node = (opType: string, input: string[], output: string[], name = `${opType.toLowerCase()}_${output[0]}`, attribute?: AttributeProto[]): NodeProto =>
  ({ opType, input, output, name, ...(attribute ? { attribute } : {}) });

const problemsOf = (m: ModelProto) => findModelProblems(m);

describe('models that are valid', () => {
  test.each(FIXTURE_MODELS)('fixture %s validates clean', (name) => {
    expect(problemsOf(decodeModel(fixtureBytes(name), name))).toEqual([]);
    expect(() => validateModel(decodeModel(fixtureBytes(name), name))).not.toThrow();
  });

  test('models the builder emits validate clean, at opsets 9 to 18', () => {
    for (const opset of [9, 10, 11, 13, 17, 18]) {
      const b = new GraphBuilder('adamish', { opset });
      const p = b.input('p', 'float32', ['n']);
      const g = b.input('g', 'float32', ['n']);
      const lr = b.input('lr', 'float32', []);
      const m = b.add(b.mul(g, 0.1), b.mul(p, 0.9));
      const v = b.add(b.mul(b.mul(g, g), 0.001), b.mul(p, 0.999));
      const step = b.div(m, b.add(b.sqrt(v), 1e-8));
      b.output(b.sub(p, b.mul(lr, b.clip(step, -1, 1))), 'p_out');
      b.output(b.reduceSum(b.unsqueeze(v, [0]), [1], true), 'norm');
      b.output(b.reduceMean(b.squeeze(b.unsqueeze(m, [0]), [0])), 'mean');
      b.output(b.slice(m, [0], [1]), 'head');
      b.output(b.cast(b.greater(m, 0), 'float32'), 'pos');
      expect([opset, problemsOf(b.build())]).toEqual([opset, []]);
    }
  });

  test('omitted optional inputs and outputs, and an initializer that is also a graph input', () => {
    const m = model([
      node('Clip', ['a', '', 'lim'], ['y']),
      node('Dropout', ['y'], ['z', '']),
    ], ['z'], { extra: { input: [{ name: 'lim', type: F }], initializer: [tensorFromArray('lim', 'float32', [], [1])] } });
    expect(problemsOf(m)).toEqual([]);
  });

  test('a node of another domain with its opset_import, and a call of a model-local function', () => {
    const m = model([
      { ...node('FusedThing', ['a'], ['y']), domain: 'com.example' },
      { ...node('AddTwice', ['y', 'b'], ['z']), domain: 'local' },
    ], ['z'], { imports: [{ domain: '', version: 17 }, { domain: 'com.example', version: 1 }, { domain: 'local', version: 1 }] });
    m.functions = [{
      name: 'AddTwice', domain: 'local', input: ['x', 'y'], output: ['out'], opsetImport: [{ domain: '', version: 17 }],
      node: [node('Add', ['x', 'y'], ['t']), node('Add', ['t', 'y'], ['out'])],
    }];
    expect(problemsOf(m)).toEqual([]);
  });

  test('"ai.onnx" is the default domain by another name', () => {
    const m = model([{ ...node('Add', ['a', 'b'], ['y']), domain: 'ai.onnx' }], ['y'], { imports: [{ domain: 'ai.onnx', version: 17 }] });
    expect(problemsOf(m)).toEqual([]);
  });
});

describe('values defined before use', () => {
  test('an input used before the node that makes it', () => {
    const m = model([node('Relu', ['t'], ['y'], 'second'), node('Neg', ['a'], ['t'], 'first')], ['y']);
    expect(problemsOf(m)).toEqual(["graph 'main': node 'second' (Relu): input 't' is not defined before use"]);
  });

  test('an input that nothing defines; unnamed nodes are named by their index', () => {
    const m = model([{ opType: 'Add', input: ['a', 'ghost'], output: ['y'] }], ['y']);
    expect(problemsOf(m)).toEqual(["graph 'main': node #0 (Add): input 'ghost' is not defined before use"]);
  });

  test('a graph output that nothing defines', () => {
    expect(problemsOf(model([node('Neg', ['a'], ['y'])], ['y', 'missing']))).toEqual([
      "graph 'main': graph output 'missing' is not defined by any input, initializer or node",
    ]);
  });

  test('subgraphs see the enclosing graph up to their node, not after it', () => {
    const then: GraphProto = { name: 'then', node: [node('Add', ['early', 'late'], ['t_out'], 'then_add')], output: [{ name: 't_out', type: F }] };
    const els: GraphProto = { name: 'else', node: [node('Neg', ['a'], ['e_out'], 'else_neg')], output: [{ name: 'e_out', type: F }] };
    const m = model([
      node('Neg', ['a'], ['early']),
      node('Greater', ['a', 'b'], ['c']),
      node('If', ['c'], ['y'], 'branch', [makeAttribute('then_branch', then), makeAttribute('else_branch', els)]),
      node('Neg', ['b'], ['late']),
    ], ['y']);
    expect(problemsOf(m)).toEqual([
      "graph 'main': node 'branch' (If) > then_branch graph 'then': node 'then_add' (Add): input 'late' is not defined before use",
    ]);
  });

  test('two levels deep, the outermost graph is still visible', () => {
    const inner: GraphProto = { name: 'inner', node: [node('Add', ['a', 'mid'], ['i_out'], 'deep_add')], output: [{ name: 'i_out', type: F }] };
    const innerElse: GraphProto = { name: 'inner_else', node: [], output: [{ name: 'mid', type: F }] };
    const outer: GraphProto = {
      name: 'outer',
      node: [node('Neg', ['b'], ['mid'], 'mid_neg'), node('If', ['c'], ['o_out'], 'inner_if', [makeAttribute('then_branch', inner), makeAttribute('else_branch', innerElse)])],
      output: [{ name: 'o_out', type: F }],
    };
    const m = model([
      node('Greater', ['a', 'b'], ['c']),
      node('If', ['c'], ['y'], 'outer_if', [makeAttribute('then_branch', outer), makeAttribute('else_branch', outer)]),
    ], ['y']);
    // 'mid' is written in each branch copy: both copies are separate scopes, so that is fine.
    expect(problemsOf(m)).toEqual([]);
  });

  test('a Loop body reads its own inputs and the enclosing graph', () => {
    const body: GraphProto = {
      name: 'body',
      input: [{ name: 'i', type: { tensorType: { elemType: DataType.INT64 } } }, { name: 'cond_in', type: B }, { name: 'acc', type: F }],
      node: [node('Add', ['acc', 'b'], ['acc_next'], 'body_add'), node('Identity', ['cond_in'], ['cond_out'], 'body_cond'), node('Mul', ['acc', 'nope'], ['bad'], 'body_bad')],
      output: [{ name: 'cond_out', type: B }, { name: 'acc_next', type: F }],
    };
    const m = model([node('Loop', ['', '', 'a'], ['y'], 'loop', [makeAttribute('body', body)])], ['y']);
    expect(problemsOf(m)).toEqual(["graph 'main': node 'loop' (Loop) > body graph 'body': node 'body_bad' (Mul): input 'nope' is not defined before use"]);
  });
});

describe('values written twice', () => {
  test('two nodes writing the same value', () => {
    const m = model([node('Neg', ['a'], ['y'], 'one'), node('Relu', ['b'], ['y'], 'two')], ['y']);
    expect(problemsOf(m)).toEqual(["graph 'main': node 'two' (Relu): output 'y' is already defined (written twice)"]);
  });

  test('a node writing a graph input or an initializer', () => {
    const m = model([node('Neg', ['a'], ['b'], 'over_input'), node('Neg', ['a'], ['w'], 'over_init')], ['b'], {
      extra: { initializer: [tensorFromArray('w', 'float32', [1], [1])] },
    });
    expect(problemsOf(m)).toEqual([
      "graph 'main': node 'over_input' (Neg): output 'b' is already defined (written twice)",
      "graph 'main': node 'over_init' (Neg): output 'w' is already defined (written twice)",
    ]);
  });

  test('a subgraph node writing a name of the enclosing graph', () => {
    const then: GraphProto = { name: 'then', node: [node('Neg', ['a'], ['b'], 'shadow')], output: [{ name: 'b', type: F }] };
    const m = model([node('Greater', ['a', 'b'], ['c']), node('If', ['c'], ['y'], 'if', [makeAttribute('then_branch', then), makeAttribute('else_branch', then)])], ['y']);
    expect(problemsOf(m)).toEqual([
      "graph 'main': node 'if' (If) > then_branch graph 'then': node 'shadow' (Neg): output 'b' is already defined in an enclosing graph (written twice)",
      "graph 'main': node 'if' (If) > else_branch graph 'then': node 'shadow' (Neg): output 'b' is already defined in an enclosing graph (written twice)",
    ]);
  });

  test('graph inputs, initializers or outputs listed twice', () => {
    const m = model([node('Neg', ['a'], ['y'])], ['y', 'y'], {
      extra: { input: [{ name: 'a', type: F }], initializer: [tensorFromArray('w', 'float32', [1], [1]), tensorFromArray('w', 'float32', [1], [2])] },
    });
    expect(problemsOf(m)).toEqual([
      "graph 'main': graph input 'a' is listed twice",
      "graph 'main': initializer 'w' is listed twice",
      "graph 'main': graph output 'y' is listed twice",
    ]);
  });
});

describe('operators and opsets', () => {
  test('an operator that does not exist', () => {
    expect(problemsOf(model([node('Frobnicate', ['a'], ['y'], 'f')], ['y']))).toEqual([
      "graph 'main': node 'f' (Frobnicate): operator Frobnicate is not an ai.onnx operator",
    ]);
  });

  test('an operator newer than the imported opset', () => {
    expect(problemsOf(model([node('Gelu', ['a'], ['y'], 'g')], ['y'], { opset: 17 }))).toEqual([
      "graph 'main': node 'g' (Gelu): operator Gelu first appears in opset 20, the model imports opset 17",
    ]);
    expect(problemsOf(model([node('Gelu', ['a'], ['y'], 'g')], ['y'], { opset: 20 }))).toEqual([]);
  });

  test('a deprecated operator', () => {
    expect(problemsOf(model([node('Upsample', ['a', 'b'], ['y'], 'up')], ['y'], { opset: 10 }))).toEqual([
      "graph 'main': node 'up' (Upsample): operator Upsample is deprecated since opset 10, the model imports opset 10",
    ]);
    expect(problemsOf(model([node('Upsample', ['a', 'b'], ['y'], 'up')], ['y'], { opset: 9 }))).toEqual([]);
  });

  test('a domain without opset_import; a model without the ai.onnx opset', () => {
    const custom = model([{ ...node('Fused', ['a'], ['y'], 'fused'), domain: 'com.microsoft' }], ['y']);
    expect(problemsOf(custom)).toEqual(["graph 'main': node 'fused' (com.microsoft.Fused): the model has no opset_import for domain 'com.microsoft' of operator Fused"]);
    const bare = model([node('Neg', ['a'], ['y'], 'neg')], ['y'], { imports: [] });
    expect(problemsOf(bare)).toEqual(["graph 'main': node 'neg' (Neg): the model has no opset_import for domain 'ai.onnx' of operator Neg"]);
  });

  test('an opset imported twice', () => {
    const m = model([node('Neg', ['a'], ['y'])], ['y'], { imports: [{ domain: '', version: 17 }, { domain: 'ai.onnx', version: 13 }] });
    expect(problemsOf(m)).toEqual(["model: opset_import lists domain 'ai.onnx' twice"]);
  });
});

describe('attributes', () => {
  const int = (name: string, i: number): AttributeProto => ({ name, type: AttributeType.INT, i });
  const ints = (name: string, v: number[]): AttributeProto => ({ name, type: AttributeType.INTS, ints: v });
  const float = (name: string, f: number): AttributeProto => ({ name, type: AttributeType.FLOAT, f });

  test('an attribute of the wrong kind', () => {
    const m = model([node('Concat', ['a', 'b'], ['y'], 'cat', [float('axis', 0)])], ['y']);
    expect(problemsOf(m)).toEqual(["graph 'main': node 'cat' (Concat): attribute 'axis' is float, Concat wants int"]);
  });

  test('an attribute the operator does not have', () => {
    expect(problemsOf(model([node('Relu', ['a'], ['y'], 'r', [float('alpha', 0.1)])], ['y']))).toEqual([
      "graph 'main': node 'r' (Relu): attribute 'alpha' is not an attribute of Relu at opset 17 (it has none)",
    ]);
    expect(problemsOf(model([node('Softmax', ['a'], ['y'], 's', [int('dim', 1)])], ['y']))).toEqual([
      "graph 'main': node 's' (Softmax): attribute 'dim' is not an attribute of Softmax at opset 17 (it has axis)",
    ]);
  });

  test('Clip: min and max attributes before opset 11, not after', () => {
    const clip = (opset: number) => model([node('Clip', ['a'], ['y'], 'clip', [float('min', 0), float('max', 6)])], ['y'], { opset });
    expect(problemsOf(clip(10))).toEqual([]);
    expect(problemsOf(clip(11))).toEqual([
      "graph 'main': node 'clip' (Clip): attribute 'min' is not an attribute of Clip at opset 11 (it has none)",
      "graph 'main': node 'clip' (Clip): attribute 'max' is not an attribute of Clip at opset 11 (it has none)",
    ]);
  });

  test('Squeeze and Unsqueeze: axes attribute before opset 13', () => {
    for (const op of ['Squeeze', 'Unsqueeze']) {
      const m = (opset: number) => model([node(op, ['a'], ['y'], 'sq', [ints('axes', [0])])], ['y'], { opset });
      expect(problemsOf(m(11))).toEqual([]);
      expect(problemsOf(m(13))).toEqual([`graph 'main': node 'sq' (${op}): attribute 'axes' is not an attribute of ${op} at opset 13 (it has none)`]);
    }
  });

  test('Reduce*: axes attribute before opset 18, ReduceSum before 13; noop_with_empty_axes only after', () => {
    const m = (op: string, opset: number, attr: AttributeProto) => model([node(op, ['a'], ['y'], 'red', [attr, int('keepdims', 0)])], ['y'], { opset });
    expect(problemsOf(m('ReduceMean', 17, ints('axes', [0])))).toEqual([]);
    expect(problemsOf(m('ReduceMean', 18, ints('axes', [0])))).toEqual([
      "graph 'main': node 'red' (ReduceMean): attribute 'axes' is not an attribute of ReduceMean at opset 18 (it has keepdims, noop_with_empty_axes)",
    ]);
    expect(problemsOf(m('ReduceSum', 12, ints('axes', [0])))).toEqual([]);
    expect(problemsOf(m('ReduceSum', 13, ints('axes', [0])))).toEqual([
      "graph 'main': node 'red' (ReduceSum): attribute 'axes' is not an attribute of ReduceSum at opset 13 (it has keepdims, noop_with_empty_axes)",
    ]);
    expect(problemsOf(m('ReduceSum', 12, int('noop_with_empty_axes', 1)))).toEqual([
      "graph 'main': node 'red' (ReduceSum): attribute 'noop_with_empty_axes' is not an attribute of ReduceSum at opset 12 (it has axes, keepdims)",
    ]);
  });

  test('Split: split attribute before opset 13, num_outputs from 18', () => {
    const m = (opset: number, attr: AttributeProto) => model([node('Split', ['a'], ['y', 'z'], 'split', [attr])], ['y', 'z'], { opset });
    expect(problemsOf(m(11, ints('split', [1, 1])))).toEqual([]);
    expect(problemsOf(m(13, ints('split', [1, 1])))[0]).toMatch(/node 'split' \(Split\): attribute 'split' is not an attribute of Split at opset 13/);
    expect(problemsOf(m(18, int('num_outputs', 2)))).toEqual([]);
    expect(problemsOf(m(17, int('num_outputs', 2)))[0]).toMatch(/attribute 'num_outputs' is not an attribute of Split at opset 17/);
  });

  test('Cast: "to" was a string before opset 6 and is required', () => {
    const s: AttributeProto = { name: 'to', type: AttributeType.STRING, s: new TextEncoder().encode('FLOAT') };
    expect(problemsOf(model([node('Cast', ['a'], ['y'], 'c', [s])], ['y'], { opset: 5 }))).toEqual([]);
    expect(problemsOf(model([node('Cast', ['a'], ['y'], 'c', [s])], ['y'], { opset: 6 }))).toEqual(["graph 'main': node 'c' (Cast): attribute 'to' is string, Cast wants int"]);
    expect(problemsOf(model([node('Cast', ['a'], ['y'], 'c')], ['y']))).toEqual(["graph 'main': node 'c' (Cast): required attribute 'to' is missing"]);
  });

  test('an AttributeProto whose type does not match the field it fills', () => {
    const m = model([
      node('Concat', ['a', 'b'], ['y'], 'cat', [{ name: 'axis', type: AttributeType.INT, f: 1 }]),
      node('Transpose', ['y'], ['z'], 'tr', [{ name: 'perm', type: AttributeType.INTS, ints: [1, 0], floats: [1, 0] }]),
    ], ['z']);
    expect(problemsOf(m)).toEqual([
      "graph 'main': node 'cat' (Concat): attribute 'axis' is of type int but its i field is not set (it fills float)",
      "graph 'main': node 'tr' (Transpose): attribute 'perm' is of type ints but also fills floats",
    ]);
  });

  test('an AttributeProto without a type, or given twice, or without a name', () => {
    const m = model([node('Concat', ['a', 'b'], ['y'], 'cat', [{ name: 'axis', i: 0 }, int('axis', 1), int('', 2)])], ['y']);
    expect(problemsOf(m)).toEqual([
      "graph 'main': node 'cat' (Concat): attribute 'axis' has no valid type (type unset, fills int)",
      "graph 'main': node 'cat' (Concat): attribute 'axis' is given twice",
      "graph 'main': node 'cat' (Concat): an attribute has no name",
    ]);
  });

  test('ref_attr_name outside a function', () => {
    const m = model([node('Concat', ['a', 'b'], ['y'], 'cat', [{ name: 'axis', type: AttributeType.INT, refAttrName: 'dim' }])], ['y']);
    expect(problemsOf(m)).toEqual(["graph 'main': node 'cat' (Concat): attribute 'axis' refers to 'dim', which only a function body may do"]);
  });

  test('a Constant with two values', () => {
    const m = model([node('Constant', [], ['y'], 'k', [float('value_float', 1), int('value_int', 1)])], ['y']);
    expect(problemsOf(m)).toEqual(["graph 'main': node 'k' (Constant): a Constant needs exactly one value attribute, it has 2"]);
  });

  test('attribute problems inside subgraphs name the path to them', () => {
    const then: GraphProto = { name: 'then', node: [node('Softmax', ['a'], ['t'], 'sm', [float('axis', 1)])], output: [{ name: 't', type: F }] };
    const m = model([node('Greater', ['a', 'b'], ['c']), node('If', ['c'], ['y'], 'if', [makeAttribute('then_branch', then), { name: 'else_branch', type: AttributeType.GRAPH }])], ['y']);
    expect(problemsOf(m)).toEqual([
      "graph 'main': node 'if' (If) > then_branch graph 'then': node 'sm' (Softmax): attribute 'axis' is float, Softmax wants int",
      "graph 'main': node 'if' (If): attribute 'else_branch' is of type graph but its g field is not set",
    ]);
  });

  test('function bodies are checked, with ref_attr_name allowed there', () => {
    const m = model([{ ...node('F', ['a'], ['y'], 'call'), domain: 'local' }], ['y'], { imports: [{ domain: '', version: 17 }, { domain: 'local', version: 1 }] });
    m.functions = [{
      name: 'F', domain: 'local', input: ['x'], output: ['out'], attribute: ['alpha'],
      node: [node('LeakyRelu', ['x'], ['out'], 'lr', [{ name: 'alpha', type: AttributeType.FLOAT, refAttrName: 'alpha' }]), node('Neg', ['undefined_in_f'], ['other'], 'stray')],
    }];
    expect(problemsOf(m)).toEqual(["function 'F': node 'stray' (Neg): input 'undefined_in_f' is not defined before use"]);
  });
});

describe('validateModel', () => {
  test('throws a ModelValidationError listing every problem', () => {
    const m = model([node('Relu', ['t'], ['y'], 'r'), node('Neg', ['a'], ['y'], 'n')], ['y']);
    let error: unknown;
    try {
      validateModel(m);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelValidationError);
    const err = error as ModelValidationError;
    expect(err.name).toBe('ModelValidationError');
    expect(err.problems).toEqual([
      "graph 'main': node 'r' (Relu): input 't' is not defined before use",
      "graph 'main': node 'n' (Neg): output 'y' is already defined (written twice)",
    ]);
    expect(err.message).toBe(`model is not valid (2 problems):\n- ${err.problems.join('\n- ')}`);
  });

  test('a fixture with a node removed is reported, naming the orphaned consumer', () => {
    const mlp = decodeModel(fixtureBytes('mlp'), 'mlp');
    const removed = mlp.graph!.node!.splice(1, 1)[0]; // the Relu between the two Gemms
    const problems = findModelProblems(mlp);
    expect(problems.length).toBe(1);
    expect(problems[0]).toContain(`input '${removed.output![0]}' is not defined before use`);
    expect(problems[0]).toMatch(/node '.+' \(Gemm\)/);
  });

  test('nameless inputs and initializers, and a node without an op type', () => {
    const m = model([{ input: ['a'], output: ['y'], name: 'blank' }], ['y'], {
      extra: { input: [{ type: F }], initializer: [{ dataType: DataType.FLOAT, dims: [1], floatData: [1] }] },
    });
    expect(problemsOf(m)).toEqual([
      "graph 'main': a graph input has no name",
      "graph 'main': an initializer has no name",
      "graph 'main': node 'blank' (?): the node has no op_type",
    ]);
  });

  test('a model without a graph', () => {
    expect(findModelProblems({ irVersion: 8 })).toEqual(['model has no graph']);
  });
});
