import { Runtime } from '@ortrain/runtime';
import { Adagrad, Adam, Adamax, AdamW, NAdam, Parameter, RAdam, RMSprop, SGD } from '../src';
import { goldenEntries, goldenGrad } from './golden';

let runtime: Runtime;
beforeAll(async () => { runtime = await Runtime.create({ executionProviders: ['cpu'] }); });

function params(): [Parameter, Parameter] {
  const e = goldenEntries('torch_optim.json', 'torch.Adam#0')[0];
  return [new Parameter('W', Float32Array.from(e.init.W), [3, 4]), new Parameter('b', Float32Array.from(e.init.b), [4])];
}
function setGrads(ps: Parameter[], t: number): void {
  let offset = 0;
  for (const p of ps) {
    p.grad = goldenGrad(p.data, t, offset);
    offset += p.size;
  }
}
const snapshot = (ps: Parameter[]) => ps.map((p) => Array.from(p.data));
/** A state dict through JSON, its Float32Arrays written as plain arrays (as the README says to). */
const throughJSON = <T>(d: T): T => JSON.parse(JSON.stringify(d, (_k, v: unknown) => (v instanceof Float32Array ? Array.from(v) : v))) as T;

describe('Parameter', () => {
  test('checks data and shape', () => {
    expect(() => new Parameter('W', [1, 2] as unknown as Float32Array, [2])).toThrow(/Parameter 'W'.*Float32Array/);
    expect(() => new Parameter('W', new Float32Array(6), [2, 4])).toThrow(/Parameter 'W': shape \[2, 4\] holds 8 elements but data has 6/);
    expect(() => new Parameter('W', new Float32Array(2), [-2])).toThrow(RangeError);
  });
  test('read() gives the values; after a CPU step data holds the new values', async () => {
    const [W, b] = params();
    const opt = new SGD([W, b], { lr: 0.1, runtime });
    const before = Array.from(W.data);
    setGrads([W, b], 1);
    const g = Array.from(W.grad!);
    await opt.step();
    W.data.forEach((v, j) => expect(v).toBeCloseTo(before[j] - 0.1 * g[j], 6));
    expect(await W.read()).toBe(W.data);
  });
  test('assigning p.data sets the values used by the next step', async () => {
    const W = new Parameter('W', new Float32Array([1, 2]), [2]);
    const opt = new SGD([W], { lr: 1, runtime });
    W.data = new Float32Array([10, 20]);
    expect(Array.from(await W.read())).toEqual([10, 20]);
    W.grad = new Float32Array([1, 1]);
    await opt.step();
    expect(Array.from(W.data)).toEqual([9, 19]);
    W.data = new Float32Array(3);
    await expect(opt.step()).rejects.toThrow(/parameter 'W': data must be a Float32Array of 2 elements/);
  });
});

describe('runtime', () => {
  test('setRuntime before the first step; another runtime after it is refused', async () => {
    const W = new Parameter('W', new Float32Array([1]), [1]);
    const opt = new SGD([W], { lr: 1 });
    opt.setRuntime(runtime);
    W.grad = new Float32Array([1]);
    await opt.step();
    expect(await opt.runtime()).toBe(runtime);
    const other = await Runtime.create({ executionProviders: ['cpu'] });
    expect(() => opt.setRuntime(other)).toThrow(/already runs on another runtime/);
    expect(() => opt.setRuntime(runtime)).not.toThrow();
  });
});

describe('param groups', () => {
  test('groups with different options match separate optimizers', async () => {
    const [W1, b1] = params();
    const [W2, b2] = params();
    const joint = new Adam([{ params: [W1], lr: 0.05 }, { params: [b1], betas: [0.8, 0.6], amsgrad: true }], { lr: 0.01, runtime });
    expect(joint.paramGroups[0].lr).toBe(0.05);
    expect(joint.paramGroups[1].lr).toBe(0.01);
    expect(joint.paramGroups[1].eps).toBe(1e-8);
    const a = new Adam([W2], { lr: 0.05, runtime });
    const c = new Adam([b2], { lr: 0.01, betas: [0.8, 0.6], amsgrad: true, runtime });
    for (let t = 1; t <= 5; t++) {
      setGrads([W1, b1], t);
      setGrads([W2, b2], t);
      await joint.step();
      await a.step();
      await c.step();
    }
    expect(Array.from(W1.data)).toEqual(Array.from(W2.data));
    expect(Array.from(b1.data)).toEqual(Array.from(b2.data));
  });
  test('addParamGroup adds a group that steps from then on', async () => {
    const [W, b] = params();
    const opt = new SGD([W], { lr: 0.1, runtime });
    opt.addParamGroup({ params: [b], lr: 0.5, momentum: 0.9 });
    expect(opt.paramGroups[1]).toMatchObject({ lr: 0.5, momentum: 0.9, dampening: 0, nesterov: false });
    const before = Array.from(b.data);
    b.grad = new Float32Array([1, 2, 3, 4]);
    await opt.step();
    b.data.forEach((v, j) => expect(v).toBeCloseTo(before[j] - 0.5 * (j + 1), 6));
    expect(() => opt.addParamGroup({ params: [W] })).toThrow(/'W' appears in more than one parameter group/);
    expect(() => opt.addParamGroup({ params: [] })).toThrow(/no parameters/);
  });
  test('one session per group; changing lr and betas between steps does not rebuild', async () => {
    const entry = goldenEntries('torch_optim.json', 'torch.Adam#1')[0];
    const [W, b] = params();
    const opt = new Adam([W, b], { runtime });
    for (let k = 0; k < entry.steps; k++) {
      // lr 1e-3 for two steps, then 0.05; compared below with a run that gets the same schedule otherwise.
      opt.paramGroups[0].lr = k < 2 ? 1e-3 : 0.05;
      setGrads([W, b], k + 1);
      await opt.step();
    }
    expect(opt.sessionCount).toBe(1);
    const [W2, b2] = params();
    const ref = new Adam([W2, b2], { lr: 1e-3, runtime });
    for (let k = 0; k < entry.steps; k++) {
      if (k === 2) ref.loadStateDict({ ...ref.stateDict(), paramGroups: [{ ...ref.stateDict().paramGroups[0], lr: 0.05 }] });
      setGrads([W2, b2], k + 1);
      await ref.step();
    }
    expect(Array.from(W.data)).toEqual(Array.from(W2.data));
    opt.paramGroups[0].betas = [0.5, 0.5];
    setGrads([W, b], 11);
    await opt.step();
    expect(opt.sessionCount).toBe(1);
  });
});

describe('step', () => {
  test('a parameter without a gradient is skipped, as torch does: unchanged, and its step count stays', async () => {
    const entry = goldenEntries('torch_optim.json', 'torch.Adam#1')[0];
    const [W, b] = params();
    const opt = new Adam([W, b], { lr: 0.05, runtime });
    const b0 = Array.from(b.data);
    for (let k = 0; k < 3; k++) {
      W.grad = goldenGrad(W.data, k + 1, 0);
      b.grad = null;
      await opt.step();
      expect(Array.from(b.data)).toEqual(b0);
    }
    const saved = opt.stateDict();
    expect(saved.state['0'].step).toBe(3);
    expect(saved.state['1']).toBeUndefined();
    // W alone follows the golden trajectory's W (its gradient does not depend on b).
    entry.trajectory[2][0].forEach((v, j) => expect(Math.abs(W.data[j] - v)).toBeLessThanOrEqual(1e-5));
    // b starts its own count now: both step in one run with two step counts.
    setGrads([W, b], 4);
    const bGrad = Array.from(b.grad!);
    await opt.step();
    expect(opt.stateDict().state['1'].step).toBe(1);
    expect(opt.stateDict().state['0'].step).toBe(4);
    // Adam's first step moves each element by lr * sign(g) (up to eps).
    b.data.forEach((v, j) => expect(v).toBeCloseTo(b0[j] - 0.05 * Math.sign(bGrad[j]), 5));
  });
  test('with no gradients at all nothing runs', async () => {
    const [W, b] = params();
    const opt = new Adam([W, b], { runtime });
    const before = snapshot([W, b]);
    await opt.step();
    expect(snapshot([W, b])).toEqual(before);
    expect(opt.sessionCount).toBe(0);
  });
  test('the closure runs first and its loss is returned', async () => {
    const [W, b] = params();
    const opt = new SGD([W, b], { lr: 0.1, runtime });
    const loss = await opt.step(async () => {
      setGrads([W, b], 1);
      return 1.5;
    });
    expect(loss).toBe(1.5);
    expect(await opt.step()).toBeUndefined();
  });
  test('pre- and post-hooks run around the update and can be removed', async () => {
    const [W, b] = params();
    const opt = new SGD([W, b], { lr: 0.1, runtime });
    const log: string[] = [];
    const pre = opt.registerStepPreHook((o) => { expect(o).toBe(opt); log.push(`pre ${W.data[0]}`); });
    const post = opt.registerStepPostHook(() => { log.push(`post ${W.data[0]}`); });
    setGrads([W, b], 1);
    const w0 = W.data[0];
    await opt.step(() => { log.push('closure'); return undefined; });
    expect(log).toEqual([`pre ${w0}`, 'closure', `post ${W.data[0]}`]);
    expect(W.data[0]).not.toBe(w0);
    pre.remove();
    post.remove();
    await opt.step();
    expect(log.length).toBe(3);
  });
  test('zeroGrad sets gradients to null by default, or to zeros', async () => {
    const [W, b] = params();
    const opt = new SGD([W, b], { lr: 0.1, runtime });
    setGrads([W, b], 1);
    const g = W.grad!;
    opt.zeroGrad(false);
    expect(W.grad).toBe(g);
    expect(Array.from(g).every((x) => x === 0)).toBe(true);
    opt.zeroGrad();
    expect(W.grad).toBeNull();
    expect(b.grad).toBeNull();
  });
  test('maximize ascends: same result as minimizing the negated gradient', async () => {
    for (const make of [
      (p: Parameter[], max: boolean) => new RMSprop(p, { lr: 0.01, momentum: 0.5, centered: true, weightDecay: 0.1, maximize: max, runtime }),
      (p: Parameter[], max: boolean) => new NAdam(p, { lr: 0.05, weightDecay: 0.1, maximize: max, runtime }),
      (p: Parameter[], max: boolean) => new RAdam(p, { lr: 0.05, maximize: max, runtime }),
    ] as const) {
      const [W1] = params();
      const [W2] = params();
      const a = make([W1], true);
      const c = make([W2], false);
      for (let t = 1; t <= 7; t++) {
        W1.grad = goldenGrad(W1.data, t, 0);
        // d/dp of -(loss) with weight decay kept on the parameter: -g.
        W2.grad = W1.grad.map((x) => -x);
        await a.step();
        await c.step();
      }
      W1.data.forEach((v, j) => expect(Math.abs(v - W2.data[j])).toBeLessThanOrEqual(1e-6));
    }
  });
});

describe('sumGrad (dragon)', () => {
  test("dragon's example: three summed backward passes per step, twice, give x = 0.4", async () => {
    const x = new Parameter('x', new Float32Array([1]), [1]);
    const opt = new SGD([x], { lr: 0.1, runtime });
    for (let epoch = 0; epoch < 2; epoch++) {
      for (let k = 0; k < 3; k++) {
        x.grad = new Float32Array([1]); // d(x + 1)/dx, overwritten by each backward pass
        opt.sumGrad();
      }
      await opt.step();
    }
    expect(x.data[0]).toBeCloseTo(0.4, 6);
  });
  test('the accumulator replaces .grad for the next step only, and a failed step keeps it', async () => {
    const W = new Parameter('W', new Float32Array([0, 0]), [2]);
    const opt = new SGD([W], { lr: 1, runtime });
    W.grad = new Float32Array([1, 2]);
    opt.sumGrad();
    W.grad = new Float32Array([10, 20]);
    opt.sumGrad();
    W.grad = new Float32Array([100, 200]); // not summed: ignored by the next step
    const hook = opt.registerStepPreHook(() => { throw new Error('boom'); });
    await expect(opt.step()).rejects.toThrow('boom');
    hook.remove();
    await opt.step();
    expect(Array.from(W.data)).toEqual([-11, -22]);
    await opt.step(); // accumulators are empty again: .grad is used
    expect(Array.from(W.data)).toEqual([-111, -222]);
    W.grad = new Float32Array(3);
    expect(() => opt.sumGrad()).toThrow(/parameter 'W': gradient has 3 elements/);
  });
});

describe('stateDict', () => {
  const cases = [
    ['SGD', (p: Parameter[], r: Runtime) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, runtime: r })],
    ['Adam', (p: Parameter[], r: Runtime) => new Adam(p, { lr: 0.05, amsgrad: true, runtime: r })],
    ['AdamW', (p: Parameter[], r: Runtime) => new AdamW(p, { lr: 0.05, runtime: r })],
    ['Adamax', (p: Parameter[], r: Runtime) => new Adamax(p, { lr: 0.05, runtime: r })],
    ['Adagrad', (p: Parameter[], r: Runtime) => new Adagrad(p, { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1, runtime: r })],
    ['RMSprop', (p: Parameter[], r: Runtime) => new RMSprop(p, { centered: true, momentum: 0.5, runtime: r })],
    ['RAdam', (p: Parameter[], r: Runtime) => new RAdam(p, { lr: 0.05, runtime: r })],
    ['NAdam', (p: Parameter[], r: Runtime) => new NAdam(p, { lr: 0.05, runtime: r })],
  ] as const;
  test.each(cases)('%s: a round trip as Float32Array and through JSON gives bit-identical next steps', async (_, make) => {
    const [W, b] = params();
    const a = make([W, b], runtime);
    for (let t = 1; t <= 4; t++) {
      setGrads([W, b], t);
      await a.step();
    }
    const typed = a.stateDict();
    const json = throughJSON(typed);
    expect(Array.isArray(json.state['0'].step)).toBe(false);
    const copies = [typed, json].map((saved) => {
      const [W2, b2] = params();
      W2.data = Float32Array.from(W.data);
      b2.data = Float32Array.from(b.data);
      const c = make([W2, b2], runtime);
      c.loadStateDict(saved);
      expect(c.stateDict()).toEqual(a.stateDict());
      return { c, W2, b2 };
    });
    for (let t = 5; t <= 9; t++) {
      setGrads([W, b], t);
      await a.step();
      for (const { c, W2, b2 } of copies) {
        setGrads([W2, b2], t);
        await c.step();
        expect(Array.from(W2.data)).toEqual(Array.from(W.data));
        expect(Array.from(b2.data)).toEqual(Array.from(b.data));
      }
    }
  });
  test('hands its state over as Float32Array copies: later steps and edits of the copy do not reach each other', async () => {
    const [W, b] = params();
    const opt = new Adam([W, b], { lr: 0.05, runtime });
    setGrads([W, b], 1);
    await opt.step();
    const saved = opt.stateDict();
    const expAvg = saved.state['0'].expAvg as Float32Array;
    expect(expAvg).toBeInstanceOf(Float32Array);
    expect(expAvg.length).toBe(W.size);
    expect(expAvg.buffer.byteLength).toBe(W.size * 4); // its own memory, not a view of the group's buffer
    const values = Array.from(expAvg);
    setGrads([W, b], 2);
    await opt.step();
    expect(Array.from(expAvg)).toEqual(values);
    expAvg.fill(7);
    expect(Array.from(opt.stateDict().state['0'].expAvg as Float32Array)).not.toContain(7);
  });
  test('stateDict({ views: true }) hands over views of its own memory, equal to the copies and written as JSON alike', async () => {
    const [W, b] = params();
    const opt = new Adam([W, b], { lr: 0.05, runtime });
    setGrads([W, b], 1);
    await opt.step();
    const copies = opt.stateDict();
    const views = opt.stateDict({ views: true });
    expect(views).toEqual(copies);
    expect(JSON.stringify(views)).toBe(JSON.stringify(copies));
    const own = opt.stores[0].hostStateNow('expAvg')!;
    const v = views.state['1'].expAvg as Float32Array;
    expect(v.buffer).toBe(own.buffer);
    expect(v.byteOffset).toBe(own.byteOffset + W.size * 4);
    expect((copies.state['1'].expAvg as Float32Array).buffer).not.toBe(own.buffer);
    // Bad options name themselves and the value.
    expect(() => opt.stateDict({ views: 'yes' as unknown as boolean })).toThrow(/Adam\.stateDict: invalid views yes \(must be true or false\)/);
    expect(() => opt.stateDict({ view: true } as never)).toThrow(/Adam\.stateDict: unknown option 'view' = true \(known: views\)/);
    expect(() => opt.stateDict(null as never)).toThrow(/Adam\.stateDict: options must be an object, got null/);
  });
  test('a state dict goes through plain JSON.stringify and back; a Float32Array of numbered keys is refused with the way to write it', async () => {
    const [W, b] = params();
    const opt = new Adam([W, b], { runtime });
    setGrads([W, b], 1);
    await opt.step();
    const before = opt.stateDict();
    const plain = JSON.parse(JSON.stringify(before));
    expect(plain.state['0'].expAvg).toEqual(Array.from(before.state['0'].expAvg as Float32Array));
    opt.loadStateDict(plain);
    expect(opt.stateDict()).toEqual(before);
    // A dict whose arrays are the user's own Float32Arrays: JSON writes those as objects of numbered keys.
    const own = { ...before, state: { ...before.state, '0': { ...before.state['0'], expAvg: Float32Array.from(before.state['0'].expAvg as Float32Array) } } };
    const keyed = JSON.parse(JSON.stringify(own));
    expect(() => opt.loadStateDict(keyed)).toThrow(/parameter 'W': state 'expAvg' must be a Float32Array or an array of 12 numbers, got Object with keys "0", "1".*Array\.from/);
    expect(opt.stateDict()).toEqual(before);
  });
  test('has torch names in camelCase and the group options', async () => {
    const [W, b] = params();
    const opt = new Adam([{ params: [W] }, { params: [b], lr: 0.1 }], { amsgrad: true, runtime });
    expect(opt.stateDict()).toEqual({ algorithm: 'Adam', state: {}, paramGroups: [
      { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: true, maximize: false, epsHat: false, params: [0] },
      { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: true, maximize: false, epsHat: false, params: [1] },
    ] });
    setGrads([W, b], 1);
    await opt.step();
    expect(Object.keys(opt.stateDict().state['1']).sort()).toEqual(['expAvg', 'expAvgSq', 'maxExpAvgSq', 'step']);
  });
  test('loadStateDict writes into the group\'s own state arrays; a parameter left out of the dict starts afresh', async () => {
    const [W, b] = params();
    const opt = new Adam([W, b], { runtime });
    setGrads([W, b], 1);
    await opt.step();
    const saved = opt.stateDict();
    setGrads([W, b], 2);
    await opt.step();
    const own = opt.stores[0].hostStateNow('expAvg')!;
    // The dict of step 1 without b's entry: W goes back to step 1, b to a fresh start (zeros, step 0).
    const { 1: _dropped, ...onlyW } = saved.state;
    opt.loadStateDict({ ...saved, state: onlyW });
    expect(opt.stores[0].hostStateNow('expAvg')).toBe(own);
    const now = opt.stateDict();
    expect(now.state['0']).toEqual(saved.state['0']);
    expect(now.state['1']).toBeUndefined();
    expect(Array.from(own.subarray(W.size))).toEqual([0, 0, 0, 0]);
  });
  test('loadStateDict checks everything before changing anything', async () => {
    const [W, b] = params();
    const opt = new Adam([W, b], { runtime });
    setGrads([W, b], 1);
    await opt.step();
    const good = opt.stateDict();
    const bad = (f: (d: ReturnType<typeof opt.stateDict>) => void) => {
      const d = throughJSON(good);
      f(d);
      return d;
    };
    expect(() => opt.loadStateDict(bad((d) => { d.paramGroups.push(d.paramGroups[0]); }))).toThrow(/2 parameter groups, the optimizer 1/);
    expect(() => opt.loadStateDict(bad((d) => { (d.state['1'].expAvg as number[]).pop(); }))).toThrow(/parameter 'b': state 'expAvg' must be a Float32Array or an array of 4 numbers, got Array\(3\)/);
    expect(() => opt.loadStateDict(bad((d) => { (d.state['1'].expAvg as unknown[])[2] = null; }))).toThrow(/parameter 'b': state 'expAvg' must be a Float32Array or an array of 4 numbers/);
    expect(() => opt.loadStateDict({ ...good, state: { ...good.state, 1: { ...good.state['1'], expAvg: new Float32Array(3) } } })).toThrow(/parameter 'b': state 'expAvg' must be a Float32Array or an array of 4 numbers, got Float32Array\(3\)/);
    expect(() => opt.loadStateDict({ ...good, state: { ...good.state, 1: { ...good.state['1'], expAvg: new Float64Array(4) as unknown as Float32Array } } })).toThrow(/got Float64Array\(4\)/);
    expect(() => opt.loadStateDict(bad((d) => { d.state['0'].foo = 1; }))).toThrow(/parameter 'W': unknown state 'foo'/);
    expect(() => opt.loadStateDict(bad((d) => { d.paramGroups[0].lr = -1; }))).toThrow(/invalid lr -1/);
    expect(() => opt.loadStateDict(bad((d) => { d.state['0'].step = 0; }))).toThrow(/'W': step must be a positive integer/);
    expect(opt.stateDict()).toEqual(good);
  });
});
