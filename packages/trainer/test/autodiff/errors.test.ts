// Build-time errors: each names what is wrong, and nothing is built or changed.
import { GraphBuilder, encodeModel } from '@ortrain/graph-builder';
import type { ModelProto } from '@ortrain/graph-builder';
import { buildGradientGraph, buildGradientModel } from '../../src/autodiff';

/** x [N, 4] -> Gemm(W, b) -> op -> Gemm(V) -> y; a frozen side branch through `side`. */
function model(op: string, options: { domain?: string; side?: string } = {}): ModelProto {
  const g = new GraphBuilder('m', { opset: 17, extraOpsets: options.domain ? { [options.domain]: 1 } : {} });
  const x = g.input('x', 'float32', ['N', 4]);
  const W = g.initializer('W', 'float32', [4, 3], new Float32Array(12).fill(0.1));
  const b = g.initializer('b', 'float32', [3], new Float32Array(3));
  const V = g.initializer('V', 'float32', [3, 2], new Float32Array(6).fill(0.2));
  g.initializer('steps', 'int64', [1], BigInt64Array.from([1n])); // an int initializer, never trainable
  const h = g.op('Gemm', [x, W, b], {}, { name: 'fc1' });
  const a = g.op(op, [h], {}, { name: 'the_act', domain: options.domain });
  const y = g.matmul(a, V);
  g.output(y, 'y');
  if (options.side) g.output(g.op(options.side, [x], {}, { name: 'side_node' }), 'side');
  g.output(g.reduceSum(y), 'total');
  return g.build();
}

test('an op without a gradient rule on the path names the op, the node and the initializer', () => {
  const m = model('Shrink');
  const before = encodeModel(m);
  expect(() => buildGradientGraph(m, { lossOutput: 'total' })).toThrow(/no gradient rule for op Shrink at node 'the_act'.*trainable initializer '(W|b)'/);
  expect(() => buildGradientGraph(m, { lossOutput: 'total', trainable: ['b'] })).toThrow(/Shrink.*'the_act'.*'b'/);
  // The model is untouched.
  expect(Buffer.from(encodeModel(m)).equals(Buffer.from(before))).toBe(true);
});

test('an op of another domain on the path is named with its domain', () => {
  const m = model('FancyAct', { domain: 'com.example' });
  expect(() => buildGradientGraph(m, { lossOutput: 'total' })).toThrow(/no gradient rule for op FancyAct \(domain 'com.example'\) at node 'the_act'/);
});

test('ops without a rule are fine where no trainable gradient passes through them', () => {
  // Only V trains: the Shrink node sits before it and needs no backward.
  const gg = buildGradientGraph(model('Shrink'), { lossOutput: 'total', trainable: ['V'] });
  expect([...gg.grads.keys()]).toEqual(['V']);
  expect(gg.frozen.sort()).toEqual(['W', 'b']);
  // A side output through an op without a rule does not matter either.
  expect(() => buildGradientGraph(model('Relu', { side: 'Shrink' }), { lossOutput: 'total' })).not.toThrow();
});

test('trainable selection: names, RegExp, predicate; frozen initializers stay initializers', () => {
  const m = model('Relu');
  const byRegex = buildGradientGraph(m, { lossOutput: 'total', trainable: /^[WV]$/ });
  expect(byRegex.params.map((p) => p.name)).toEqual(['W', 'V']);
  expect(byRegex.frozen).toEqual(['b']);
  const graph = byRegex.builder.toGraph();
  expect((graph.initializer ?? []).map((t) => t.name)).toContain('b');
  expect((graph.input ?? []).map((i) => i.name)).toEqual(expect.arrayContaining(['x', 'W', 'V']));
  const byPredicate = buildGradientGraph(m, { lossOutput: 'total', trainable: (_name, t) => (t.dims ?? []).length === 1 });
  expect(byPredicate.params.map((p) => p.name)).toEqual(['b']);
  expect(byPredicate.params[0].initial).toEqual(new Float32Array(3));
  expect(byPredicate.params[0].dims).toEqual([3]);
});

test('bad trainable lists and loss options are RangeErrors naming the value', () => {
  const m = model('Relu');
  expect(() => buildGradientGraph(m, { lossOutput: 'total', trainable: ['nope'] })).toThrow(new RangeError("trainable: 'nope' is not an initializer of the model, nor a float Constant"));
  expect(() => buildGradientGraph(m, { lossOutput: 'total', trainable: ['steps'] })).toThrow(/'steps' is int64; only float initializers can train/);
  expect(() => buildGradientGraph(m, { lossOutput: 'total', trainable: ['W', 'W'] })).toThrow(/'W' is listed twice/);
  expect(() => buildGradientGraph(m, { lossOutput: 'nope' })).toThrow(/lossOutput 'nope' is not a value of the model \(its outputs: y, total\)/);
  expect(() => buildGradientGraph(m, {})).toThrow(RangeError);
  expect(() => buildGradientGraph(m, { lossOutput: 'y' })).toThrow(/the loss 'y' must be a scalar/);
  expect(() => buildGradientGraph(m, { lossOutput: 'total', opset: 12 })).toThrow(/opset 12/);
  expect(() => buildGradientGraph(m, { lossOutput: 'total', trainable: /nothing/ })).toThrow(/no tensor of the model is trainable \(found 4 initializers and 0 float Constants\)[^]*initializer 'W' \[4, 3\]: does not match trainable \/nothing\/[^]*initializer 'steps' \[1\]: int64: only float tensors train/);
});

test('a listed initializer that the loss does not depend on is an error (not a zero gradient)', () => {
  const g = new GraphBuilder('m');
  const x = g.input('x', 'float32', [2]);
  const used = g.initializer('used', 'float32', [2], new Float32Array([1, 2]));
  const unused = g.initializer('unused', 'float32', [2], new Float32Array([1, 2]));
  g.output(g.reduceSum(g.mul(x, used)), 'loss');
  g.output(g.add(x, unused), 'other');
  const m = g.build();
  expect(() => buildGradientGraph(m, { lossOutput: 'loss', trainable: ['used', 'unused'] })).toThrow(/the loss does not depend on initializer 'unused'/);
  // By default such initializers are simply frozen.
  const gg = buildGradientGraph(m, { lossOutput: 'loss' });
  expect(gg.params.map((p) => p.name)).toEqual(['used']);
  expect(gg.frozen).toEqual(['unused']);
});

test('static shapes give a backward graph without Shape nodes, and small', () => {
  // A static-batch MLP with a mean squared error: forward 3 + loss 3 + backward 10 nodes.
  const g = new GraphBuilder('mlp');
  const x = g.input('x', 'float32', [8, 64]);
  const W1 = g.initializer('W1', 'float32', [32, 64], new Float32Array(32 * 64));
  const b1 = g.initializer('b1', 'float32', [32], new Float32Array(32));
  const W2 = g.initializer('W2', 'float32', [10, 32], new Float32Array(320));
  const b2 = g.initializer('b2', 'float32', [10], new Float32Array(10));
  g.output(g.op('Gemm', [g.relu(g.op('Gemm', [x, W1, b1], { transB: 1 })), W2, b2], { transB: 1 }), 'logits');
  const { model: training } = buildGradientModel(g.build(), {
    loss: {
      build: (b, pred, labels) => { const d = b.sub(pred, labels); return b.reduceMean(b.mul(d, d)); },
      labels: { name: 'labels', dtype: 'float32', shape: [8, 10] },
    },
  });
  const ops = (training.graph!.node ?? []).map((n) => n.opType);
  expect(ops).not.toContain('Shape');
  expect(ops).not.toContain('Size');
  // Backward: mean (one Expand of a constant), square (Mul, Sum), Gemm 2 (Gemm, Gemm, ReduceSum), Relu (Greater, Where),
  // Gemm 1 (Gemm, ReduceSum; no gradient for the data input).
  expect(ops.length).toBeLessThanOrEqual(16);
});
