// Large groups on onnxruntime-node's CPU provider run on a HostSession: outputs written into double buffers.
// Here the size above which that happens is lowered to 65536 by the chunkAbove option (one chunk at these
// sizes; several: compile.test.ts). Checked against torch's formulas computed here in float64.
import { Runtime as RuntimeClass } from '@ortrain/runtime';
import { Adagrad, Adam, Adamax, AdamW, NAdam, Parameter, RAdam, RMSprop, SGD } from '../src';

let runtime: RuntimeClass;
const chunkAbove = 1 << 16;
beforeAll(async () => { runtime = await RuntimeClass.create({ executionProviders: ['cpu'] }); });

/** Deterministic values in [-1, 1) for gradient t of element i. */
const gradValue = (t: number, i: number) => (((i * 7919 + t * 104729) % 2003) / 1001.5 - 1);

function makeParams(sizes: number[]): Parameter[] {
  return sizes.map((n, k) => new Parameter(`p${k}`, Float32Array.from({ length: n }, (_, i) => Math.sin(i + k)), [n]));
}
function setGrads(ps: Parameter[], t: number): void {
  let offset = 0;
  for (const p of ps) {
    const at = offset;
    p.grad = Float32Array.from({ length: p.size }, (_, i) => gradValue(t, at + i));
    offset += p.size;
  }
}

/** torch.optim.Adam (no weight decay) over the flat values, float64. */
class AdamReference {
  m: Float64Array; v: Float64Array; t = 0;
  constructor(readonly p: Float64Array, readonly lr = 1e-2, readonly b1 = 0.9, readonly b2 = 0.999, readonly eps = 1e-8) {
    this.m = new Float64Array(p.length);
    this.v = new Float64Array(p.length);
  }
  step(): void {
    this.t++;
    const bc1 = 1 - this.b1 ** this.t, bc2 = 1 - this.b2 ** this.t;
    for (let i = 0; i < this.p.length; i++) {
      const g = gradValue(this.t, i);
      this.m[i] = this.b1 * this.m[i] + (1 - this.b1) * g;
      this.v[i] = this.b2 * this.v[i] + (1 - this.b2) * g * g;
      this.p[i] -= (this.lr / bc1) * this.m[i] / (Math.sqrt(this.v[i] / bc2) + this.eps);
    }
  }
}

function flat(ps: Parameter[]): Float64Array {
  const out = new Float64Array(ps.reduce((a, p) => a + p.size, 0));
  let at = 0;
  for (const p of ps) { out.set(p.data, at); at += p.size; }
  return out;
}
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe('large groups on the CPU', () => {
  test('Adam over 100001 elements in two tensors follows torch for 4 steps; state matches', async () => {
    const ps = makeParams([70000, 30001]);
    const ref = new AdamReference(flat(ps));
    const opt = new Adam(ps, { lr: 1e-2, runtime, chunkAbove });
    for (let t = 1; t <= 4; t++) {
      setGrads(ps, t);
      await opt.step();
      ref.step();
      expect(maxDiff(flat(ps), ref.p)).toBeLessThan(1e-5);
    }
    const state = opt.stateDict().state;
    expect(maxDiff([...(state[0].expAvg as Float32Array), ...(state[1].expAvg as Float32Array)], ref.m)).toBeLessThan(1e-6);
    expect(maxDiff([...(state[0].expAvgSq as Float32Array), ...(state[1].expAvgSq as Float32Array)], ref.v)).toBeLessThan(1e-6);
    expect(state[0].step).toBe(4);
    await opt.release();
  });

  test('a step undone by a throwing post-hook leaves parameters and state as they were; the next step is right', async () => {
    const ps = makeParams([40000, 40000]);
    const ref = new AdamReference(flat(ps));
    const opt = new Adam(ps, { lr: 1e-2, runtime, chunkAbove });
    for (let t = 1; t <= 2; t++) {
      setGrads(ps, t);
      await opt.step();
      ref.step();
    }
    const before = flat(ps);
    const stateBefore = opt.stateDict();
    const hook = opt.registerStepPostHook(() => { throw new Error('post-hook failed'); });
    setGrads(ps, 3);
    await expect(opt.step()).rejects.toThrow('post-hook failed');
    expect(maxDiff(flat(ps), before)).toBe(0);
    expect(opt.stateDict()).toEqual(stateBefore);
    hook.remove();
    // Twice more: both buffers of the double buffer are written again after the undo. A step writes only
    // into spare buffers (what makes a failed run harmless): the arrays current before it keep their values.
    for (let t = 3; t <= 4; t++) {
      const held = ps.map((p) => p.data);
      const heldValues = flat(ps);
      setGrads(ps, t);
      await opt.step();
      ref.step();
      expect(maxDiff(flat(ps), ref.p)).toBeLessThan(1e-5);
      held.forEach((h, k) => expect(maxDiff(h, heldValues.subarray(k * 40000, (k + 1) * 40000))).toBe(0));
    }
    await opt.release();
  });

  test('a bad gradient in a later group leaves the large group unchanged', async () => {
    const big = makeParams([70000]);
    const small = new Parameter('small', new Float32Array(3), [3]);
    const opt = new SGD([{ params: big }, { params: [small] }], { lr: 0.1, momentum: 0.9, runtime, chunkAbove });
    setGrads(big, 1);
    small.grad = new Float32Array(3);
    await opt.step();
    const before = flat(big);
    const stateBefore = opt.stateDict();
    setGrads(big, 2);
    small.grad = new Float32Array(2);
    await expect(opt.step()).rejects.toThrow(/small/);
    expect(maxDiff(flat(big), before)).toBe(0);
    expect(opt.stateDict()).toEqual(stateBefore);
    await opt.release();
  });

  test('SGD with momentum: values assigned to p.data between steps are used', async () => {
    const [p] = makeParams([100000]);
    const opt = new SGD([p], { lr: 0.5, momentum: 0.5, runtime, chunkAbove });
    const g = new Float32Array(p.size).fill(1);
    p.grad = g;
    await opt.step(); // buf = 1, p -= 0.5
    p.data = new Float32Array(p.size).fill(2);
    await opt.step(); // buf = 0.5 + 1 = 1.5, p = 2 - 0.75
    expect(maxDiff(p.data, new Float32Array(p.size).fill(1.25))).toBe(0);
    await opt.step(); // buf = 0.75 + 1 = 1.75, p = 1.25 - 0.875
    expect(maxDiff(p.data, new Float32Array(p.size).fill(0.375))).toBe(0);
    await opt.release();
  });

  // Every rule on the HostSession path (one group of 70000) against the same values as two groups of 35000,
  // which run on runtime sessions: same graphs, so the same numbers, including the variants some rules
  // switch between (RAdam's rectification after step 5).
  type Stepper = { step(): Promise<unknown>; release(): Promise<void> };
  const makers: [string, (ps: Parameter[][]) => Stepper][] = [
    ['SGD nesterov', (g) => new SGD(g.map((params) => ({ params })), { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01, runtime, chunkAbove })],
    ['Adam amsgrad', (g) => new Adam(g.map((params) => ({ params })), { lr: 0.01, amsgrad: true, weightDecay: 0.01, runtime, chunkAbove })],
    ['AdamW', (g) => new AdamW(g.map((params) => ({ params })), { lr: 0.01, runtime, chunkAbove })],
    ['Adamax', (g) => new Adamax(g.map((params) => ({ params })), { lr: 0.01, runtime, chunkAbove })],
    ['Adagrad', (g) => new Adagrad(g.map((params) => ({ params })), { lr: 0.05, lrDecay: 0.01, initialAccumulatorValue: 0.1, runtime, chunkAbove })],
    ['RMSprop centered', (g) => new RMSprop(g.map((params) => ({ params })), { lr: 0.01, momentum: 0.5, centered: true, runtime, chunkAbove })],
    ['RAdam', (g) => new RAdam(g.map((params) => ({ params })), { lr: 0.01, runtime, chunkAbove })],
    ['NAdam', (g) => new NAdam(g.map((params) => ({ params })), { lr: 0.01, maximize: true, runtime, chunkAbove })],
  ];
  test.each(makers)('%s: a group of 70000 gives the numbers of two groups of 35000 over 8 steps', async (_, make) => {
    const [big] = makeParams([70000]);
    const halves = [0, 1].map((k) => new Parameter(`h${k}`, big.data.slice(k * 35000, (k + 1) * 35000), [35000]));
    const large = make([[big]]);
    const small = make([[halves[0]], [halves[1]]]);
    for (let t = 1; t <= 8; t++) {
      setGrads([big], t);
      halves.forEach((h, k) => { h.grad = big.grad!.slice(k * 35000, (k + 1) * 35000); });
      await large.step();
      await small.step();
    }
    const both = new Float32Array(70000);
    both.set(halves[0].data, 0);
    both.set(halves[1].data, 35000);
    expect(maxDiff(big.data, both)).toBeLessThanOrEqual(1e-7);
    expect(maxDiff(big.data, makeParams([70000])[0].data)).toBeGreaterThan(1e-4);
    await large.release();
    await small.release();
  });

  test('a run that fails in onnxruntime after writing part of its outputs leaves the group unchanged', async () => {
    let fail = false;
    // The runtime's sessions fail on demand after filling their fetched outputs with NaN, as a run that dies
    // half-way through would leave them.
    let filled = 0;
    const failing = Object.create(runtime) as RuntimeClass;
    failing.createSession = async (model, options) => {
      const s = await runtime.createSession(model, options);
      return {
        ...s,
        run: async (feeds, fetches) => {
          if (!fail) return s.run(feeds, fetches);
          for (const name in fetches) (fetches[name].data as Float32Array).fill(NaN);
          filled += Object.keys(fetches ?? {}).length;
          throw new Error('out of memory');
        },
      };
    };
    const ps = makeParams([50000, 30000]);
    const ref = new AdamReference(flat(ps));
    const opt = new Adam(ps, { lr: 1e-2, runtime: failing, chunkAbove });
    for (let t = 1; t <= 2; t++) {
      setGrads(ps, t);
      await opt.step();
      ref.step();
    }
    const before = flat(ps);
    const stateBefore = opt.stateDict();
    fail = true;
    setGrads(ps, 3);
    await expect(opt.step()).rejects.toThrow('out of memory');
    expect(filled).toBeGreaterThan(0); // the double-buffered path ran, and its spare buffers were spoiled
    expect(maxDiff(flat(ps), before)).toBe(0);
    expect(opt.stateDict()).toEqual(stateBefore);
    fail = false;
    for (let t = 3; t <= 4; t++) {
      setGrads(ps, t);
      await opt.step();
      ref.step();
    }
    expect(maxDiff(flat(ps), ref.p)).toBeLessThan(1e-5);
    await opt.release();
  });
});
