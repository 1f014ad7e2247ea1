import { GraphBuilder, encodeModel } from '@ortrain/graph-builder';

/** Models for the runtime's tests. */

/** p' = p - lr * g and m' = 0.9 m + g: a state-carrying update to feed back run after run. */
export function momentumStepModel(n: number): Uint8Array {
  const g = new GraphBuilder('momentum_step');
  const p = g.input('p', 'float32', [n]);
  const m = g.input('m', 'float32', [n]);
  const grad = g.input('g', 'float32', [n]);
  const lr = g.input('lr', 'float32', []);
  const m2 = g.add(g.mul(m, 0.9), grad);
  g.output(g.sub(p, g.mul(m2, lr)), 'p_out');
  g.output(m2, 'm_out');
  return encodeModel(g.build());
}
