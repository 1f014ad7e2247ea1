// If, Loop and Scan through the finite-difference harness (float64 where onnxruntime has the kernels): an If
// on data in each branch, an If nested in a Loop body, a Loop of constant trip count with scan outputs, a
// Scan in both directions, and an If whose condition folds at build time.
import { GraphBuilder } from '@ortrain/graph-builder';
import type { Value } from '@ortrain/graph-builder';
import { FdCase, Gen, positive, runCases } from './finite-difference';

const negative: Gen = (r, i, n) => -positive()(r, i, n);

/** cond = sum(x) > 0; then: tanh(x W1) W2, else: sigmoid(x W1) W3 (W1 read by both branches). */
function ifOnData(g: GraphBuilder, [x, W1, W2, W3]: (Value | undefined)[]): Value[] {
  const cond = g.op('Greater', [g.reduceSum(x!), g.constant(0, x!.dtype)]);
  const then = g.subgraph('then');
  then.output(then.matmul(then.tanh(then.matmul(x!, W1!)), W2!), 'then_y');
  const other = g.subgraph('else');
  other.output(other.matmul(other.sigmoid(other.matmul(x!, W1!)), W3!), 'else_y');
  return [g.node('If', [cond], { then_branch: then.toGraph(), else_branch: other.toGraph() }, { outputs: 1 })[0]];
}

/** An If on data whose then branch holds another If on data (on the sign of its first column). */
function nestedIf(g: GraphBuilder, [x, W, V]: (Value | undefined)[]): Value[] {
  const outer = g.op('Greater', [g.reduceSum(x!), g.constant(0, x!.dtype)]);
  const xw = g.matmul(x!, W!);
  const then = g.subgraph('then');
  const inner = then.op('Greater', [then.reduceSum(then.slice(x!, [0], [1], [1])), then.constant(0, x!.dtype)]);
  const a = then.subgraph('inner_then');
  a.output(a.tanh(xw), 'a');
  const b = then.subgraph('inner_else');
  b.output(b.mul(xw, V!), 'b');
  then.output(then.node('If', [inner], { then_branch: a.toGraph(), else_branch: b.toGraph() }, { outputs: 1 })[0], 'then_y');
  const other = g.subgraph('else');
  other.output(other.sigmoid(xw), 'else_y');
  return [g.node('If', [outer], { then_branch: then.toGraph(), else_branch: other.toGraph() }, { outputs: 1 })[0]];
}

/** A Loop of 3 steps whose body holds an If on the step's data: h <- h + (sum(h) > 0 ? tanh(h W) : h W * a). */
function loopWithIf(g: GraphBuilder, [x, W, a]: (Value | undefined)[]): Value[] {
  const body = g.subgraph('body');
  body.input('i', 'int64', []);
  const c = body.input('c', 'bool', []);
  const h = body.input('h', x!.dtype!, [2, 3]);
  const hw = body.matmul(h, W!);
  const cond = body.op('Greater', [body.reduceSum(hw), body.constant(0, x!.dtype)]);
  const then = body.subgraph('then');
  then.output(then.tanh(hw), 't');
  const other = body.subgraph('else');
  other.output(other.mul(hw, a!), 'e');
  const [branch] = body.node('If', [cond], { then_branch: then.toGraph(), else_branch: other.toGraph() }, { outputs: 1 });
  const next = body.add(h, branch);
  body.output(body.op('Identity', [c]), 'c_out');
  body.output(next, 'h_out');
  body.output(body.op('Identity', [next]), 'h_scan');
  const outs = g.node('Loop', [g.constant(3, 'int64'), undefined, x!], { body: body.toGraph() }, { outputs: 2 });
  return outs;
}

/** A Scan over x [4, 2, 3] (axis 0, forward or reverse): h <- tanh(x_t Wx + h Wh), scan output h * 2. */
const scan = (reverse: number) => (g: GraphBuilder, [x, Wx, Wh, h0]: (Value | undefined)[]): Value[] => {
  const body = g.subgraph('body');
  const h = body.input('h', x!.dtype!, [2, 3]);
  const xt = body.input('xt', x!.dtype!, [2, 3]);
  const next = body.tanh(body.add(body.matmul(xt, Wx!), body.matmul(h, Wh!)));
  body.output(next, 'h_next');
  body.output(body.mul(next, 2), 'y_t');
  return g.node('Scan', [h0!, x!], { body: body.toGraph(), num_scan_inputs: 1, scan_input_directions: [reverse], scan_output_directions: [reverse] }, { outputs: 2 });
};

/** cond = Shape(x)[1] == 3 folds to the then branch when x's shape is static. */
function ifOnShape(g: GraphBuilder, [x, W, V]: (Value | undefined)[]): Value[] {
  const cond = g.op('Equal', [g.op('Gather', [g.shape(x!), g.constant(1, 'int64')], { axis: 0 }), g.constant(3, 'int64')]);
  const then = g.subgraph('then');
  then.output(then.tanh(then.matmul(x!, W!)), 't');
  const other = g.subgraph('else');
  other.output(other.matmul(x!, V!), 'e');
  return [g.node('If', [cond], { then_branch: then.toGraph(), else_branch: other.toGraph() }, { outputs: 1 })[0]];
}

const cases: FdCase[] = [
  { name: 'If on data, then branch', build: ifOnData, inputs: [{ data: [2, 3], gen: positive() }, { param: [3, 4] }, { param: [4, 2] }, { param: [4, 2] }] },
  { name: 'If on data, else branch', build: ifOnData, inputs: [{ data: [2, 3], gen: negative }, { param: [3, 4] }, { param: [4, 2] }, { param: [4, 2] }] },
  { name: 'Loop of 3 steps with an If in its body, carried and scan outputs', build: loopWithIf, inputs: [{ data: [2, 3] }, { param: [3, 3] }, { param: [3] }] },
  // Positive sums take the outer then branch; the first column's sum picks the inner one (negative in the second case).
  { name: 'If on data nested in an If branch (inner then)', build: nestedIf, inputs: [{ data: [2, 3], gen: positive() }, { param: [3, 2] }, { param: [2, 2] }] },
  { name: 'If on data nested in an If branch (inner else)', build: nestedIf, inputs: [{ data: [2, 3], gen: (r, i, n) => (i % 3 === 0 ? -0.2 : 2 * positive()(r, i, n)) }, { param: [3, 2] }, { param: [2, 2] }] },
  { name: 'Scan forward', build: scan(0), inputs: [{ data: [4, 2, 3] }, { param: [3, 3] }, { param: [3, 3] }, { param: [2, 3] }] },
  { name: 'Scan reverse', build: scan(1), inputs: [{ data: [4, 2, 3] }, { param: [3, 3] }, { param: [3, 3] }, { param: [2, 3] }] },
  { name: 'If on a static shape (folded)', build: ifOnShape, inputs: [{ data: [2, 3] }, { param: [3, 2] }, { constant: [1, 2, 3, 4, 5, 6], dtype: 'float', shape: [3, 2] }] },
];

runCases('control flow', cases);
