// The gradient of an If on data: an If of the same condition whose branches are the backward passes of the
// forward branches. Each gradient branch recomputes its forward branch (the forward If keeps its
// intermediate values to itself), then runs reverse mode from the If's output gradients to the values of
// the enclosing graph that the branch reads. Both branches output a gradient for every such value that
// needs one, zeros where a branch does not read it.
import { Value } from '@ortrain/graph-builder';
import type { GraphBuilder, NodeProto } from '@ortrain/graph-builder';
import { fillValue } from './context';
import { expandControlFlow, graphAttr, inlineGraph } from './control-flow';
import { emitForward } from './emit';
import { ShapeTable, isStatic } from './infer';
import { upgradeNodes } from './upgrade';
import type { BackwardEnv } from './gradient-graph';

type Backprop = (g: GraphBuilder, nodes: NodeProto[], table: ShapeTable, sources: Set<string>, seeds: Map<string, Value>,
  scalarSeed: string | undefined, env: BackwardEnv) => (name: string) => Value | undefined;

export function ifGradient(g: GraphBuilder, node: NodeProto, table: ShapeTable, outGrads: (Value | undefined)[], wanted: string[],
  env: BackwardEnv, backprop: Backprop): Map<string, Value> {
  const label = node.name || node.output?.[0] || 'If';
  const branch = (attr: 'then_branch' | 'else_branch') => {
    const graph = graphAttr(node, attr)!;
    const sub = g.subgraph(`${label}_grad_${attr === 'then_branch' ? 'then' : 'else'}`);
    const child = table.child(ShapeTable.hintsFrom([...(graph.valueInfo ?? []), ...(graph.output ?? [])]));
    const fresh = (base: string) => sub.uniqueName(base);
    const copy = inlineGraph(graph, new Map(), fresh, 'forward');
    const { nodes, blocked } = expandControlFlow(copy.nodes, child, env.modelOpset, fresh);
    const forward = upgradeNodes(nodes, env.modelOpset, env.opset, child);
    for (const n of forward) emitForward(sub, n, child);
    const seeds = new Map<string, Value>();
    copy.outputs.forEach((name, k) => { if (outGrads[k]) seeds.set(name, outGrads[k]!); });
    const gradOf = backprop(sub, forward, child, new Set(wanted), seeds, undefined, { ...env, blocked: new Map([...env.blocked, ...blocked]) });
    const produced = new Set((sub.toGraph().node ?? []).map((n) => n.output ?? []).flat());
    for (const name of wanted) {
      const info = table.get(name);
      let v = gradOf(name) ?? zeros(sub, name, table);
      if (!produced.has(v.name)) v = sub.op('Identity', [v], {}, { dtypes: [info?.dtype], shapes: [info?.shape] });
      sub.output(v, sub.uniqueName(`${name}_grad`));
    }
    return sub.toGraph();
  };
  const then = branch('then_branch');
  const other = branch('else_branch');
  const outs = g.node('If', [new Value(node.input![0], 'bool', [])], { then_branch: then, else_branch: other }, {
    outputs: wanted.length, dtypes: wanted.map((n) => table.get(n)?.dtype), shapes: wanted.map((n) => table.get(n)?.shape),
  });
  return new Map(wanted.map((name, i) => [name, outs[i]]));
}

/** Zeros of the type and shape of a value of an enclosing graph. */
function zeros(sub: GraphBuilder, name: string, table: ShapeTable): Value {
  const info = table.get(name);
  const shape = info?.shape && isStatic(info.shape) ? sub.ints(info.shape) : sub.shape(new Value(name, info?.dtype, info?.shape));
  return sub.op('ConstantOfShape', [shape], { value: fillValue(info?.dtype) }, { dtypes: [info?.dtype], shapes: [info?.shape] });
}
