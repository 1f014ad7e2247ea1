// Small models in the patterns exporters produce (weights as Constant nodes, an If on a shape, an If on
// data, a Loop, a Scan, a Softmax head), built here with graph-builder so the tests need no Python.
import { GraphBuilder, encodeModel, tensorFromArray } from '@ortrain/graph-builder';
import type { Value } from '@ortrain/graph-builder';
import { createRandom } from '../../src/random';

export const B = 4;
export const IN = 3;
export const HID = 4;
export const OUT = 2;

/** Seeded weights in [-scale, scale]. */
export function weights(n: number, seed: number, scale = 0.8): Float32Array {
  const r = createRandom(seed);
  return Float32Array.from({ length: n }, () => (2 * r() - 1) * scale);
}

/** A Constant node holding a float tensor, as paddle2onnx and spox store weights. */
export function constant(g: GraphBuilder, name: string, dims: number[], data: ArrayLike<number>): Value {
  return g.node('Constant', [], { value: tensorFromArray('value', 'float32', dims, Float32Array.from(data)) }, { outputs: [name] })[0];
}

const int64 = (g: GraphBuilder, v: number) => g.constant(v, 'int64');

/**
 * An MLP whose weights are Constant nodes, with the exporter constants that must stay frozen: a scalar
 * scale (Mul), Clip bounds, a Pow exponent.
 */
export function constantsMlp(): Uint8Array {
  const g = new GraphBuilder('constants_mlp', { opset: 17 });
  const x = g.input('x', 'float32', [B, IN]);
  const W1 = constant(g, 'W1', [IN, HID], weights(IN * HID, 1));
  const b1 = constant(g, 'b1', [HID], weights(HID, 2, 0.1));
  const W2 = constant(g, 'W2', [HID, OUT], weights(HID * OUT, 3));
  const b2 = constant(g, 'b2', [OUT], weights(OUT, 4, 0.1));
  const scale = constant(g, 'scale', [], [0.5]);
  const lo = constant(g, 'clip_min', [], [-4]);
  const hi = constant(g, 'clip_max', [], [4]);
  const two = constant(g, 'exponent', [], [2]);
  const h = g.tanh(g.add(g.matmul(x, W1), b1));
  // h * h as Pow(h, 2) / 2 + h: an exporter's square with a constant exponent.
  const sq = g.op('Pow', [h, two]);
  const z = g.op('Clip', [g.add(g.mul(sq, scale), h), lo, hi]);
  g.output(g.add(g.matmul(z, W2), b2), 'y', [B, OUT]);
  return encodeModel(g.build());
}

/** Every float tensor is an exporter constant: nothing trains by default. */
export function onlyConstants(): Uint8Array {
  const g = new GraphBuilder('only_constants', { opset: 17 });
  const x = g.input('x', 'float32', [B, OUT]);
  const eps = constant(g, 'eps', [], [1e-5]);
  const two = g.initializer('two', 'float32', [], Float32Array.from([2]));
  g.output(g.op('Pow', [g.add(x, eps), two]), 'y', [B, OUT]);
  return encodeModel(g.build());
}

/** PyTorch's `if x.shape[1] == 3:` traced with a static shape: an If on Shape -> Gather -> Equal. */
export function ifOnShape(): Uint8Array {
  const g = new GraphBuilder('if_on_shape', { opset: 17 });
  const x = g.input('x', 'float32', [B, IN]);
  const W1 = g.initializer('W1', 'float32', [IN, HID], weights(IN * HID, 5));
  const W2 = g.initializer('W2', 'float32', [HID, OUT], weights(HID * OUT, 6));
  const W3 = g.initializer('W3', 'float32', [IN, OUT], weights(IN * OUT, 7));
  const cond = g.op('Equal', [g.op('Gather', [g.shape(x), int64(g, 1)], { axis: 0 }), int64(g, IN)]);
  const then = g.subgraph('then');
  then.output(then.matmul(then.tanh(then.matmul(x, W1)), W2), 'then_y');
  const other = g.subgraph('else');
  other.output(other.matmul(x, W3), 'else_y');
  const [y] = g.node('If', [cond], { then_branch: then.toGraph(), else_branch: other.toGraph() }, { outputs: ['y'] });
  g.output(y, 'y', [B, OUT]);
  return encodeModel(g.build());
}

/** An If on data (the sign of the batch's sum): each branch uses its own weights and a shared one. */
export function ifOnData(): Uint8Array {
  const g = new GraphBuilder('if_on_data', { opset: 17 });
  const x = g.input('x', 'float32', [B, IN]);
  const W1 = g.initializer('W1', 'float32', [IN, HID], weights(IN * HID, 8));
  const b1 = g.initializer('b1', 'float32', [HID], weights(HID, 9, 0.1));
  const W2 = g.initializer('W2', 'float32', [HID, OUT], weights(HID * OUT, 10));
  const W3 = g.initializer('W3', 'float32', [HID, OUT], weights(HID * OUT, 11));
  const cond = g.op('Greater', [g.reduceSum(x), g.constant(0)]);
  const h = g.add(g.matmul(x, W1), b1);
  const then = g.subgraph('then');
  then.output(then.matmul(then.tanh(h), W2), 'then_y');
  const other = g.subgraph('else');
  other.output(other.matmul(other.sigmoid(h), W3), 'else_y');
  const [y] = g.node('If', [cond], { then_branch: then.toGraph(), else_branch: other.toGraph() }, { outputs: ['y'] });
  g.output(y, 'y', [B, OUT]);
  return encodeModel(g.build());
}

/**
 * A Loop of a constant trip count (3): h <- tanh(h W + b), with the steps' h as a scan output; the output
 * reads both. With `tripCount: 'input'` the count comes from a model input (not known when building).
 */
export function loopModel(tripCount: 'constant' | 'input' = 'constant'): Uint8Array {
  const g = new GraphBuilder('loop', { opset: 17 });
  const x = g.input('x', 'float32', [B, HID]);
  const M = tripCount === 'constant' ? int64(g, 3) : g.input('steps', 'int64', []);
  const W = g.initializer('W', 'float32', [HID, HID], weights(HID * HID, 12, 0.6));
  const b = g.initializer('b', 'float32', [HID], weights(HID, 13, 0.1));
  const Wo = g.initializer('Wo', 'float32', [HID, OUT], weights(HID * OUT, 14));
  const body = g.subgraph('body');
  body.input('i', 'int64', []);
  const c = body.input('cond', 'bool', []);
  const h = body.input('h', 'float32', [B, HID]);
  const next = body.tanh(body.add(body.matmul(h, W), b));
  body.output(body.op('Identity', [c]), 'cond_out');
  body.output(next, 'h_out');
  body.output(body.op('Identity', [next]), 'h_scan');
  const [last, steps] = g.node('Loop', [M, undefined, x], { body: body.toGraph() }, { outputs: ['h_last', 'h_steps'], name: 'the_loop' });
  const y = g.matmul(g.add(last, g.reduceSum(steps, [0])), Wo);
  g.output(y, 'y', [B, OUT]);
  return encodeModel(g.build());
}

/** A Scan over a sequence [T=3, B, IN]: an RNN cell h <- tanh(x_t Wx + h Wh), the output reads the last h. */
export function scanModel(): Uint8Array {
  const g = new GraphBuilder('scan', { opset: 17 });
  const x = g.input('x', 'float32', [3, B, IN]);
  const Wx = g.initializer('Wx', 'float32', [IN, HID], weights(IN * HID, 15));
  const Wh = g.initializer('Wh', 'float32', [HID, HID], weights(HID * HID, 16, 0.5));
  const Wo = g.initializer('Wo', 'float32', [HID, OUT], weights(HID * OUT, 17));
  const h0 = g.initializer('h0', 'float32', [B, HID], new Float32Array(B * HID));
  const body = g.subgraph('body');
  const h = body.input('h', 'float32', [B, HID]);
  const xt = body.input('x_t', 'float32', [B, IN]);
  const next = body.tanh(body.add(body.matmul(xt, Wx), body.matmul(h, Wh)));
  body.output(next, 'h_next');
  body.output(body.op('Identity', [next]), 'h_seq');
  const [last] = g.node('Scan', [h0, x], { body: body.toGraph(), num_scan_inputs: 1 }, { outputs: ['h_last', 'h_all'] });
  g.output(g.matmul(last, Wo), 'y', [B, OUT]);
  return encodeModel(g.build());
}

/** A classifier that ends in Softmax, as many exported models do: 'logits' -> Softmax -> 'probs'. */
export function softmaxHead(): Uint8Array {
  const g = new GraphBuilder('softmax_head', { opset: 17 });
  const x = g.input('x', 'float32', [B, IN]);
  const W = g.initializer('W', 'float32', [IN, OUT + 1], weights(IN * (OUT + 1), 18));
  const b = g.initializer('b', 'float32', [OUT + 1], weights(OUT + 1, 19, 0.1));
  const logits = g.op('Add', [g.matmul(x, W), b], {}, { outputs: ['logits'] });
  g.output(g.op('Softmax', [logits], { axis: -1 }), 'probs', [B, OUT + 1]);
  return encodeModel(g.build());
}

/** A loss as an ONNX model: mean of 3 (p - y)^2 + |p - y| over every element, p the prediction. */
export function customLoss(): Uint8Array {
  const g = new GraphBuilder('custom_loss', { opset: 17 });
  const p = g.input('prediction', 'float32', ['n', OUT]);
  const y = g.input('target', 'float32', ['n', OUT]);
  const d = g.sub(p, y);
  g.output(g.reduceMean(g.add(g.mul(g.mul(d, d), 3), g.abs(d))), 'loss', []);
  return encodeModel(g.build());
}

/** An output of unknown rank: reshaped to a shape fed at run time (input 'shape', of unknown length). */
export function unknownRankOutput(): Uint8Array {
  const g = new GraphBuilder('unknown_rank', { opset: 17 });
  const x = g.input('x', 'float32', [B, IN]);
  const s = g.input('shape', 'int64', ['k']);
  const W = g.initializer('W', 'float32', [IN, OUT], weights(IN * OUT, 20));
  const b = g.initializer('b', 'float32', [OUT], weights(OUT, 21, 0.1));
  g.output(g.op('Reshape', [g.add(g.matmul(x, W), b), s]), 'y');
  const model = g.build();
  // The builder typed the output [?, ?] from the shape input's length; an exporter may say nothing of it.
  model.graph!.output = [{ name: 'y', type: { tensorType: { elemType: 1 } } }];
  return encodeModel(model);
}

/** The same kind of loss as an ONNX function: the graph is one call of a model-local function 3 mean((p - y)^2). */
export function functionLoss(): Uint8Array {
  const float = (name: string) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'n' }, { dimValue: OUT }] } } } });
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }, { domain: 'my.losses', version: 1 }],
    graph: {
      name: 'function_loss',
      input: [float('prediction'), float('target')],
      output: [{ name: 'loss', type: { tensorType: { elemType: 1, shape: { dim: [] } } } }],
      node: [{ opType: 'ScaledSquare', domain: 'my.losses', name: 'call', input: ['prediction', 'target'], output: ['loss'] }],
    },
    functions: [{
      name: 'ScaledSquare', domain: 'my.losses', input: ['p', 'y'], output: ['l'], opsetImport: [{ domain: '', version: 17 }],
      node: [
        { opType: 'Sub', input: ['p', 'y'], output: ['d'] },
        { opType: 'Mul', input: ['d', 'd'], output: ['d2'] },
        { opType: 'ReduceMean', input: ['d2'], output: ['m'], attribute: [{ name: 'keepdims', type: 2, i: 0 }] },
        { opType: 'Constant', input: [], output: ['three'], attribute: [{ name: 'value', type: 4, t: tensorFromArray('three', 'float32', [], [3]) }] },
        { opType: 'Mul', input: ['m', 'three'], output: ['l'] },
      ],
    }],
  });
}
