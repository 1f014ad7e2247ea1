import { decodeModel, encodeModel } from '@ortrain/graph-builder';
import { Runtime, RuntimeSession } from '@ortrain/runtime';
import { Adam, Optimizer, Parameter, SGD, adam, algorithm, buildGroupModel, learningRate } from '../src';
import { CHUNK } from '../src/group-store';

let runtime: Runtime;
beforeAll(async () => { runtime = await Runtime.create({ executionProviders: ['cpu'] }); });

const options = { lr: 1e-3, betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, epsHat: false };
const tensors = (n: number) => Array.from({ length: n }, (_, i) => ({ offset: 3 * i, size: 3, shape: [3] }));
const plan = (n: number, o: object = {}) => ({ tensors: tensors(n), sets: Array(n).fill(0), scalarSets: [{ names: Object.keys(adam.scalars({ ...options, ...o }, 1, {}).values), variant: '' }] });

describe('the group model', () => {
  test("Adam's update is one chain of 12 nodes whatever the number of tensors", () => {
    for (const n of [1, 10, 100]) {
      const model = buildGroupModel(adam, options, plan(n), ['expAvg', 'expAvgSq'], true);
      expect(model.graph!.node!.length).toBe(12);
      expect(model.graph!.input!.map((i) => i.name)).toEqual(['param', 'state.expAvg', 'state.expAvgSq', 'grad', 's0.beta1', 's0.c1', 's0.beta2', 's0.c2', 's0.eps', 's0.step']);
      expect(model.graph!.output!.map((o) => o.name)).toEqual(['param.out', 'state.expAvg.out', 'state.expAvgSq.out']);
      // Hyperparameters are inputs: nothing but the graph's own structure is stored in it.
      expect(model.graph!.initializer ?? []).toEqual([]);
      expect(decodeModel(encodeModel(model)).graph!.node!.length).toBe(12);
    }
  });
  test('weight decay and amsgrad add only the nodes they need', () => {
    const count = (o: object) => buildGroupModel(adam, { ...options, ...o }, plan(5, o), adam.state({ ...options, ...o }).map((s) => s.name), true).graph!.node!.length;
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

// A rule that is not element-wise: normalized gradient descent per tensor, p -= lr * g / ||g||, with a per-tensor
// counter and a per-element copy of the initial parameters (state initialised from the parameter).
interface NormOptions { lr: number }
const normalized = algorithm<NormOptions>({
  name: 'Normalized',
  defaults: { lr: 0.1 },
  validate(o) { if (!(o.lr >= 0)) throw new RangeError(`Normalized: invalid lr ${o.lr}`); },
  rule: {
    name: 'normalized',
    elementwise: false,
    structure: () => '',
    state: () => [{ name: 'count', init: 0, perTensor: true }, { name: 'start', init: 'param' }],
    scalars: () => ({ values: {}, scales: [1] }),
    direction(g, a) {
      const norm = a.segments.norm(a.grad);
      return { terms: [g.div(a.grad, a.segments.expand(norm))], state: { count: g.add(a.state.count, g.constant(1)), start: a.state.start } };
    },
  },
  after: [learningRate((o) => o.lr)],
});

describe('a rule that is not element-wise: per-tensor norms, per-tensor state, state from the parameter', () => {
  test('layer-wise norms on the flat buffer, then per tensor when a tensor is skipped', async () => {
    const W = new Parameter('W', new Float32Array([1, 1, 1, 1, 1, 1]), [2, 3]);
    const b = new Parameter('b', new Float32Array([0, 0]), [2]);
    const opt = new Optimizer(normalized, [W, b], { lr: 1, runtime });
    W.grad = new Float32Array([3, 0, 0, 4, 0, 0]);
    b.grad = new Float32Array([0, 2]);
    await opt.step();
    expect(Array.from(W.data).map((x) => +x.toFixed(6))).toEqual([0.4, 1, 1, 0.2, 1, 1]);
    expect(Array.from(b.data)).toEqual([0, -1]);
    b.grad = null;
    await opt.step();
    expect(Array.from(b.data)).toEqual([0, -1]);
    // Through JSON: the state arrays as plain numbers.
    expect(JSON.parse(JSON.stringify(opt.stateDict().state))).toEqual({
      0: { step: 2, count: [2], start: [1, 1, 1, 1, 1, 1] },
      1: { step: 1, count: [1], start: [0, 0] },
    });
  });
  test('the flat form is a fixed number of nodes whatever the number of tensors (segment reductions)', () => {
    const counts = [2, 10, 100].map((n) => buildGroupModel(normalized, { lr: 1 }, {
      tensors: tensors(n), sets: Array(n).fill(0), scalarSets: [{ names: Object.keys(normalized.scalars({ lr: 1 }, 1, {}).values), variant: '' }],
    }, ['count', 'start'], true).graph!.node!.length);
    expect(new Set(counts).size).toBe(1);
  });
});

describe('large groups run in chunks of the flat buffers', () => {
  test('Adam over 5.5M elements across two tensors matches a float64 reference, and a failed step is undone', async () => {
    const sizes = [3_000_000, 2_500_000];
    const ps = sizes.map((n, k) => new Parameter(`p${k}`, Float32Array.from({ length: n }, (_, i) => Math.sin(i + k)), [n]));
    const opt = new Adam(ps, { lr: 0.01, runtime });
    const ref = ps.map((p) => ({ x: Float64Array.from(p.data), m: new Float64Array(p.size), v: new Float64Array(p.size) }));
    const grads = (t: number) => ps.map((p, k) => Float32Array.from({ length: p.size }, (_, i) => Math.cos(i * 0.001 + t + k)));
    for (let t = 1; t <= 3; t++) {
      const g = grads(t);
      ps.forEach((p, k) => { p.grad = g[k]; });
      await opt.step();
      const bc1 = 1 - 0.9 ** t;
      const bc2 = 1 - 0.999 ** t;
      ref.forEach((r, k) => {
        for (let i = 0; i < r.x.length; i++) {
          r.m[i] = 0.9 * r.m[i] + 0.1 * g[k][i];
          r.v[i] = 0.999 * r.v[i] + 0.001 * g[k][i] * g[k][i];
          r.x[i] -= (0.01 / bc1) * r.m[i] / (Math.sqrt(r.v[i] / bc2) + 1e-8);
        }
      });
    }
    ps.forEach((p, k) => {
      let worst = 0;
      for (let i = 0; i < p.size; i++) worst = Math.max(worst, Math.abs(p.data[i] - ref[k].x[i]));
      expect(worst).toBeLessThanOrEqual(1e-6);
    });
    // It ran in chunks of CHUNK elements (the last one shorter), across the boundary of the two tensors.
    const chunks = [...new Array(Math.floor(5_500_000 / CHUNK)).fill(CHUNK), 5_500_000 % CHUNK].filter((n) => n > 0);
    const keys = opt.stores[0].sessions.keys();
    expect(keys.some((k) => k.endsWith(`chunks ${chunks.join(',')}`))).toBe(true);
    const sd = opt.stateDict();
    expect(sd.state['1'].step).toBe(3);
    expect(Math.abs((sd.state['1'].expAvg as Float32Array)[2_400_000] - ref[1].m[2_400_000])).toBeLessThanOrEqual(1e-6);
    // A post-hook that throws undoes the chunked step.
    const before = Array.from(ps[1].data.subarray(1_200_000, 1_200_010));
    const hook = opt.registerStepPostHook(() => { throw new Error('post'); });
    ps.forEach((p, k) => { p.grad = grads(4)[k]; });
    await expect(opt.step()).rejects.toThrow('post');
    expect(Array.from(ps[1].data.subarray(1_200_000, 1_200_010))).toEqual(before);
    expect(opt.stateDict().state['1'].step).toBe(3);
    hook.remove();
    await opt.step();
    expect(opt.stateDict().state['1'].step).toBe(4);
    await opt.release();
  });
});
