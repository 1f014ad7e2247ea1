import { decodeModel, encodeModel } from '@ortrain/graph-builder';
import { Runtime, RuntimeSession } from '@ortrain/runtime';
import { Adam, Optimizer, Parameter, Rule, SGD, adamRule, buildGroupModel } from '../src';

let runtime: Runtime;
beforeAll(async () => { runtime = await Runtime.create({ executionProviders: ['cpu'] }); });

const options = { lr: 1e-3, betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, epsHat: false };
const tensors = (n: number) => Array.from({ length: n }, (_, i) => ({ offset: 3 * i, size: 3, shape: [3] }));
const plan = (n: number, o: object = {}) => ({ tensors: tensors(n), sets: Array(n).fill(0), scalarSets: [{ names: Object.keys(adamRule.scalars({ ...options, ...o }, 1, {}).values), variant: '' }] });

describe('the group model', () => {
  test("Adam's update is one chain of 12 nodes whatever the number of tensors", () => {
    for (const n of [1, 10, 100]) {
      const model = buildGroupModel(adamRule, options, plan(n), ['expAvg', 'expAvgSq'], true);
      expect(model.graph!.node!.length).toBe(12);
      expect(model.graph!.input!.map((i) => i.name)).toEqual(['param', 'state.expAvg', 'state.expAvgSq', 'grad', 's0.beta1', 's0.c1', 's0.beta2', 's0.c2', 's0.eps', 's0.step']);
      expect(model.graph!.output!.map((o) => o.name)).toEqual(['param.out', 'state.expAvg.out', 'state.expAvgSq.out']);
      // Hyperparameters are inputs: nothing but the graph's own structure is stored in it.
      expect(model.graph!.initializer ?? []).toEqual([]);
      expect(decodeModel(encodeModel(model)).graph!.node!.length).toBe(12);
    }
  });
  test('weight decay and amsgrad add only the nodes they need', () => {
    const count = (o: object) => buildGroupModel(adamRule, { ...options, ...o }, plan(5, o), adamRule.state({ ...options, ...o }).map((s) => s.name), true).graph!.node!.length;
    expect(count({ weightDecay: 0.1 })).toBe(14);
    expect(count({ amsgrad: true })).toBe(13);
    expect(count({ maximize: true })).toBe(12);
  });
});

/** A runtime whose sessions count their runs. */
async function countingRuntime(): Promise<{ runtime: Runtime; runs: () => number }> {
  const inner = await Runtime.create({ executionProviders: ['cpu'] });
  let runs = 0;
  const proxy = Object.create(inner) as Runtime;
  proxy.createSession = async (model, opts) => {
    const s = await inner.createSession(model, opts);
    return { ...s, run: (feeds) => { runs++; return s.run(feeds); } } as RuntimeSession;
  };
  return { runtime: proxy, runs: () => runs };
}

describe('one session.run per parameter group per step', () => {
  test('two groups of 50 tensors: two runs per step', async () => {
    const { runtime: counting, runs } = await countingRuntime();
    const ps = Array.from({ length: 100 }, (_, i) => new Parameter(`p${i}`, new Float32Array(i + 1).fill(1), [i + 1]));
    const opt = new Adam([{ params: ps.slice(0, 50) }, { params: ps.slice(50), lr: 0.1 }], { runtime: counting });
    for (const p of ps) p.grad = new Float32Array(p.size).fill(0.5);
    await opt.step();
    await opt.step();
    expect(runs()).toBe(4);
    expect(opt.sessionCount).toBe(2);
    // Adam's second step moves every element by lr (the moments are constant): all tensors were updated.
    ps.forEach((p, i) => expect(p.data[0]).toBeCloseTo(1 - 2 * (i < 50 ? 1e-3 : 0.1), 5));
  });
  test('useFlatGrads gives views into the group buffer; results are the same', async () => {
    const a = Array.from({ length: 3 }, (_, i) => new Parameter(`a${i}`, new Float32Array(4).fill(i), [2, 2]));
    const b = Array.from({ length: 3 }, (_, i) => new Parameter(`b${i}`, new Float32Array(4).fill(i), [2, 2]));
    const oa = new Adam(a, { lr: 0.1, runtime });
    const ob = new Adam(b, { lr: 0.1, runtime });
    oa.useFlatGrads();
    expect(a[1].grad!.buffer).toBe(a[0].grad!.buffer);
    for (let t = 1; t <= 3; t++) {
      a.forEach((p, i) => p.grad!.set([t, -i, 0.5, 2]));
      b.forEach((p, i) => { p.grad = new Float32Array([t, -i, 0.5, 2]); });
      await oa.step();
      await ob.step();
    }
    a.forEach((p, i) => expect(Array.from(p.data)).toEqual(Array.from(b[i].data)));
  });
  test("gradients back to back in the caller's own buffer are read in place; out of order they are copied", async () => {
    const make = () => Array.from({ length: 3 }, (_, i) => new Parameter(`p${i}`, new Float32Array(2).fill(1), [2]));
    const [a, b, c] = [make(), make(), make()];
    const [oa, ob, oc] = [a, b, c].map((ps) => new SGD(ps, { lr: 1, runtime }));
    const shared = new Float32Array([9, 1, 2, 3, 4, 5, 6]);
    a.forEach((p, i) => { p.grad = shared.subarray(1 + 2 * i, 3 + 2 * i); });
    b.forEach((p, i) => { p.grad = Float32Array.from(shared.subarray(1 + 2 * i, 3 + 2 * i)); });
    c.forEach((p, i) => { p.grad = shared.subarray(5 - 2 * i, 7 - 2 * i); }); // reversed: not in group order
    await oa.step();
    await ob.step();
    await oc.step();
    expect(a.map((p) => Array.from(p.data))).toEqual([[0, -1], [-2, -3], [-4, -5]]);
    expect(b.map((p) => Array.from(p.data))).toEqual([[0, -1], [-2, -3], [-4, -5]]);
    expect(c.map((p) => Array.from(p.data))).toEqual([[-4, -5], [-2, -3], [0, -1]]);
    expect(shared[0]).toBe(9);
  });
});

// A rule that is not element-wise: normalized gradient descent per tensor, p -= lr * g / ||g||.
interface NormOptions { lr: number }
const normalizedRule: Rule<NormOptions> = {
  algorithm: 'Normalized',
  elementwise: false,
  defaults: { lr: 0.1 },
  validate(o) { if (!(o.lr >= 0)) throw new RangeError(`Normalized: invalid lr ${o.lr}`); },
  structure: () => '',
  state: () => [{ name: 'count', init: 0 }],
  scalars: (o) => ({ values: { lr: -o.lr }, variant: '' }),
  update(g, a) {
    const norm = g.reduceL2(a.grad, undefined, true);
    return { param: g.add(a.param, g.mul(g.div(a.grad, norm), a.scalars.lr)), state: { count: g.add(a.state.count, 1) } };
  },
};

describe('a rule that is not element-wise runs per tensor, with its shape', () => {
  test('layer-wise norms, state and skipped tensors', async () => {
    const W = new Parameter('W', new Float32Array([1, 1, 1, 1, 1, 1]), [2, 3]);
    const b = new Parameter('b', new Float32Array([0, 0]), [2]);
    const opt = new Optimizer(normalizedRule, [W, b], { lr: 1, runtime });
    W.grad = new Float32Array([3, 0, 0, 4, 0, 0]);
    b.grad = new Float32Array([0, 2]);
    await opt.step();
    expect(Array.from(W.data).map((x) => +x.toFixed(6))).toEqual([0.4, 1, 1, 0.2, 1, 1]);
    expect(Array.from(b.data)).toEqual([0, -1]);
    b.grad = null;
    await opt.step();
    expect(Array.from(b.data)).toEqual([0, -1]);
    expect(opt.stateDict().state).toEqual({ 0: { step: 2, count: [2, 2, 2, 2, 2, 2] }, 1: { step: 1, count: [1, 1] } });
  });
});
