// Einsum: the gradient of one operand is another einsum of the output gradient with the other operands,
// broadcast over the letters that only that operand carries (summed away in the forward).
import type { Value } from '@ortrain/graph-builder';
import type { GradContext, GradRule } from '../context';

function parse(c: GradContext, equation: string, count: number): { inputs: string[]; output: string } {
  const eq = equation.replace(/\s+/g, '');
  if (eq.includes('...')) c.fail(`equation '${equation}': ellipsis is not supported`);
  const [lhs, rhs] = eq.split('->');
  const inputs = lhs.split(',');
  if (inputs.length !== count) c.fail(`equation '${equation}' names ${inputs.length} operands, the node has ${count}`);
  let output = rhs;
  if (output === undefined) {
    // Implicit output: the letters that appear exactly once, in alphabetical order.
    const counts = new Map<string, number>();
    for (const ch of inputs.join('')) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    output = [...counts].filter(([, n]) => n === 1).map(([ch]) => ch).sort().join('');
  }
  for (const s of [...inputs, output]) {
    if (new Set(s).size !== s.length) c.fail(`equation '${equation}': repeated letters in one operand (diagonals) are not supported`);
  }
  return { inputs, output };
}

function einsumGrad(c: GradContext): (Value | undefined)[] {
  const { g } = c;
  const ins = c.node.input ?? [];
  const { inputs, output } = parse(c, c.attrs.string('equation', ''), ins.length);
  return ins.map((_, i) => {
    if (!c.needs(i)) return undefined;
    const target = inputs[i];
    const others = inputs.filter((_, j) => j !== i);
    const available = new Set([...output, ...others.join('')]);
    const kept = [...target].filter((ch) => available.has(ch)).join('');
    const operands = [c.grad, ...ins.filter((_, j) => j !== i).map((_, k) => c.x(k >= i ? k + 1 : k))];
    let grad = g.op('Einsum', operands, { equation: `${[output, ...others].join(',')}->${kept}` });
    if (kept.length === target.length) return grad;
    // Letters only this operand carries were summed in the forward: their gradient is a broadcast.
    const missing = [...target].map((ch, k) => (available.has(ch) ? -1 : k)).filter((k) => k >= 0);
    grad = g.unsqueeze(grad, missing);
    return c.typedOp('Expand', [grad, c.shapeOf(c.x(i))], {}, c.x(i));
  });
}

export const einsumRules: Record<string, GradRule> = {
  Einsum: { grad: einsumGrad },
};
