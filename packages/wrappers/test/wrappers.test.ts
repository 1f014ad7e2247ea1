import { Adam, Parameter, SGD, StepLR } from '@ortrain/optimizers';
import { Runtime } from '@ortrain/runtime';
import { Lookahead, SAM, Scout, optimizerFromConfig } from '../src';
import { grad } from './golden';

let runtime: Runtime;
beforeAll(async () => { runtime = await Runtime.create({ executionProviders: ['cpu'] }); });
afterAll(async () => { await runtime.release(); });

/** A state dict through JSON, its Float32Arrays (the base's and the wrapper's own) written as plain arrays. */
const throughJSON = <T>(d: T): T => JSON.parse(JSON.stringify(d, (_k, v: unknown) => (v instanceof Float32Array ? Array.from(v) : v))) as T;

const make = () => [new Parameter('W', Float32Array.from({ length: 12 }, (_, j) => Math.sin(j)), [3, 4]), new Parameter('b', Float32Array.from({ length: 4 }, (_, j) => Math.cos(j)), [4])];

/** t steps of the golden problem; SAM's closure sets the gradient at the perturbed point. */
async function train(opt: { step(c?: () => Promise<number>): Promise<unknown> }, ps: Parameter[], from: number, to: number, sam: boolean) {
  for (let t = from; t <= to; t++) {
    const set = async () => { ps[0].grad = grad(await ps[0].read(), t, 0); ps[1].grad = grad(await ps[1].read(), t, 12); return 0; };
    await set();
    await opt.step(sam ? set : undefined);
  }
}

const snapshot = async (ps: Parameter[]) => Promise.all(ps.map(async (p) => Array.from(await p.read())));

describe('wrappers are optimizers', () => {
  test('paramGroups are the base\'s: an lr scheduler on the wrapper changes the base\'s lr', async () => {
    const ps = make();
    const la = new Lookahead(new SGD(ps, { lr: 0.1, runtime }), { syncPeriod: 2 });
    expect(la.paramGroups).toBe(la.optimizer.paramGroups);
    const sched = new StepLR(la, { stepSize: 1, gamma: 0.5 });
    await train(la, ps, 1, 1, false);
    sched.step();
    expect(la.optimizer.paramGroups[0].lr).toBeCloseTo(0.05, 12);
    await la.release();
  });

  test('zeroGrad clears the base\'s gradients; hooks run around each step', async () => {
    const ps = make();
    const sam = new SAM(ps, Adam, { rho: 0.05, lr: 0.01, runtime });
    const seen: string[] = [];
    sam.registerStepPreHook(() => { seen.push('pre'); });
    const h = sam.registerStepPostHook(() => { seen.push('post'); });
    await train(sam, ps, 1, 2, true);
    expect(seen).toEqual(['pre', 'post', 'pre', 'post']);
    h.remove();
    sam.zeroGrad();
    expect(ps[0].grad).toBeNull();
    await sam.release();
  });

  test('Lookahead over SAM over Adam composes: the same as SAM then a sync by hand', async () => {
    const a = make();
    const la = new Lookahead(new SAM(a, Adam, { rho: 0.05, lr: 0.05, runtime }), { syncRate: 0.5, syncPeriod: 3 });
    await train(la, a, 1, 3, true);
    const b = make();
    const slow0 = await snapshot(b);
    const sam = new SAM(b, Adam, { rho: 0.05, lr: 0.05, runtime });
    await train(sam, b, 1, 3, true);
    const fast = await snapshot(b);
    const expected = fast.map((f, k) => f.map((v, j) => Math.fround(slow0[k][j] + Math.fround(0.5 * Math.fround(v - slow0[k][j])))));
    const got = await snapshot(a);
    got.forEach((g, k) => g.forEach((v, j) => expect(Math.abs(v - expected[k][j])).toBeLessThanOrEqual(1e-6)));
    expect(la.getConfig()).toEqual({ name: 'Lookahead', options: { syncRate: 0.5, syncPeriod: 3 }, base: { name: 'SAM', options: { rho: 0.05, adaptive: true }, base: expect.objectContaining({ name: 'Adam' }) } });
    await la.release();
    await sam.release();
  });

  test('a SAM inside a SAM, and slow weights inside slow weights, throw', () => {
    const ps = make();
    expect(() => new SAM(ps, SAM as never, { rho: 0.1 })).toThrow(/SAM inside a SAM/);
    expect(() => new SAM(ps, new SAM(ps, SGD, { lr: 0.1 }))).toThrow(/SAM inside a SAM/);
    expect(() => new SAM(ps, new Lookahead(new SAM(ps, SGD, { lr: 0.1 })))).toThrow(/SAM inside a SAM/);
    expect(() => new Scout(new Lookahead(new SGD(ps, { lr: 0.1 })))).toThrow(/slow weights/);
    // SAM over Lookahead makes sense (the sync after the sharpness-aware step) and is allowed.
    expect(new SAM(ps, new Lookahead(new SGD(ps, { lr: 0.1 }))).chain.map((w) => w.name)).toEqual(['SAM', 'Lookahead']);
  });

  test('bad options are RangeErrors or TypeErrors naming the option', () => {
    const ps = make();
    const sgd = new SGD(ps, { lr: 0.1 });
    expect(() => new SAM(ps, SGD, { rho: -0.1, lr: 0.1 })).toThrow(new RangeError('SAM: invalid rho -0.1 (must be a finite number >= 0)'));
    expect(() => new SAM(ps, SGD, { adaptive: 1 as never, lr: 0.1 })).toThrow(TypeError);
    expect(() => new SAM(ps, {} as never, {})).toThrow(/SAM: base must be an optimizer/);
    expect(() => new SAM(ps, (() => 1) as never, {})).toThrow(TypeError);
    expect(() => new SAM(ps, SGD, { lr: -1 })).toThrow(/lr/);
    expect(() => new Lookahead(sgd, { syncRate: 1.5 })).toThrow(new RangeError('Lookahead: invalid syncRate 1.5 (must be in [0, 1])'));
    expect(() => new Scout(sgd, { syncRate: -0.1 })).toThrow(/Scout: invalid syncRate -0.1/);
    expect(() => new Lookahead(sgd, { syncPeriod: 0 })).toThrow(/invalid syncPeriod 0/);
    expect(() => new Lookahead(sgd, { syncPeriod: 2.5 })).toThrow(/invalid syncPeriod 2.5/);
    expect(() => new Lookahead({ step() {} } as never)).toThrow(TypeError);
    expect(() => new Lookahead(sgd, { sync_rate: 0.5 } as never)).toThrow(/unknown option 'sync_rate'/);
  });

  test('SAM.step without a closure is a TypeError; a closure that throws leaves the parameters at w', async () => {
    const ps = make();
    const sam = new SAM(ps, SGD, { lr: 0.1, runtime });
    await expect(sam.step()).rejects.toThrow(TypeError);
    const before = await snapshot(ps);
    ps[0].grad = grad(await ps[0].read(), 1, 0);
    ps[1].grad = grad(await ps[1].read(), 1, 12);
    await expect(sam.step(async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    const after = await snapshot(ps);
    after.forEach((a, k) => a.forEach((v, j) => expect(Math.abs(v - before[k][j])).toBeLessThanOrEqual(1e-7)));
    expect(sam.stateDict().base.state).toEqual({});
    await sam.release();
  });

  test.each([['Lookahead'], ['Scout']])('%s: a sync that fails leaves the parameters and the base\'s state as they were', async (kind) => {
    const ps = make();
    const base = new SGD(ps, { lr: 0.1, momentum: 0.9, runtime });
    const la = kind === 'Scout' ? new Scout(base, { syncPeriod: 2 }) : new Lookahead(base, { syncPeriod: 2 });
    await train(la, ps, 1, 1, false);
    const before = await snapshot(ps);
    const state = la.stateDict();
    // The second step syncs: make the sync's run fail after the base has stepped.
    const inner = la as unknown as { afterStep: () => Promise<void> };
    const afterStep = inner.afterStep;
    inner.afterStep = async () => { throw new Error('sync failed'); };
    ps[0].grad = grad(await ps[0].read(), 2, 0);
    ps[1].grad = grad(await ps[1].read(), 2, 12);
    await expect(la.step()).rejects.toThrow('sync failed');
    expect(await snapshot(ps)).toEqual(before);
    expect(la.stateDict()).toEqual(state);
    // And it steps on from there as if the failed step never happened.
    inner.afterStep = afterStep;
    const ref = make();
    const refLa = kind === 'Scout' ? new Scout(new SGD(ref, { lr: 0.1, momentum: 0.9, runtime }), { syncPeriod: 2 }) : new Lookahead(new SGD(ref, { lr: 0.1, momentum: 0.9, runtime }), { syncPeriod: 2 });
    await train(refLa, ref, 1, 3, false);
    await train(la, ps, 2, 3, false);
    expect(await snapshot(ps)).toEqual(await snapshot(ref));
    await la.release();
    await refLa.release();
  });

  test('Scout stays finite where holocron yields NaN (syncPeriod 1; constant updates): the rate is then 1', async () => {
    const ps = make();
    const scout = new Scout(new SGD(ps, { lr: 0.1, runtime }), { syncRate: 0.3, syncPeriod: 1 });
    for (let t = 1; t <= 3; t++) {
      ps[0].grad = new Float32Array(12).fill(1);
      ps[1].grad = new Float32Array(4).fill(1);
      await scout.step();
      expect(scout.lastSyncRate).toBe(1);
    }
    const v = await snapshot(ps);
    expect(v.flat().every(Number.isFinite)).toBe(true);
    // Plain SGD with constant gradients: each value moved by -0.3.
    expect(Math.abs(v[0][0] - (Math.sin(0) - 0.3))).toBeLessThanOrEqual(1e-6);
    // Updates that are exactly constant (integers, lr 0.25): holocron's 0/0.
    const exact = [new Parameter('W', Float32Array.from({ length: 12 }, (_, j) => j), [3, 4])];
    const period3 = new Scout(new SGD(exact, { lr: 0.25, runtime }), { syncRate: 0.3, syncPeriod: 3 });
    for (let t = 1; t <= 3; t++) {
      for (const p of period3.params) p.grad = new Float32Array(p.size).fill(1);
      await period3.step();
    }
    expect(period3.lastSyncRate).toBe(1);
    expect(Array.from(await exact[0].read())).toEqual(Array.from({ length: 12 }, (_, j) => j - 0.75));
    await scout.release();
    await period3.release();
  });

  test.each([['Lookahead'], ['Scout'], ['SAM']])('%s: stateDict as Float32Array and through JSON, and loadStateDict continue identically; fromConfig rebuilds it', async (kind) => {
    const build = (ps: Parameter[]) => kind === 'SAM' ? new SAM(ps, Adam, { lr: 0.05, runtime })
      : new (kind === 'Scout' ? Scout : Lookahead)(new Adam(ps, { lr: 0.05, runtime }), { syncRate: 0.4, syncPeriod: 4 });
    const sam = kind === 'SAM';
    const a = make();
    const wa = build(a);
    await train(wa, a, 1, 6, sam);
    await wa.sync();
    const typed = wa.stateDict();
    // The wrapper's own state and the base's nested in it are Float32Array copies (SAM holds no perturbation between steps).
    if (!sam) expect(typed.state['0'].slow).toBeInstanceOf(Float32Array);
    expect(typed.base.state['0'].expAvg).toBeInstanceOf(Float32Array);
    const json = throughJSON(typed);
    const values = await snapshot(a);
    await train(wa, a, 7, 11, sam);
    // The steps after the save changed none of the saved copies.
    expect(throughJSON(typed)).toEqual(json);

    for (const saved of [typed, json]) {
      const b = make();
      b.forEach((p, k) => { p.data = Float32Array.from(values[k]); });
      const wb = optimizerFromConfig(b, wa.getConfig(), (ps, c) => new Adam(ps, { ...c.options, runtime })) as typeof wa;
      expect(wb.constructor).toBe(wa.constructor);
      wb.loadStateDict(saved);
      await train(wb, b, 7, 11, sam);
      expect(await snapshot(b)).toEqual(await snapshot(a));
      await wb.release();
    }
    await wa.release();
  });

  test('loadStateDict checks everything first: a bad state changes nothing', async () => {
    const ps = make();
    const la = new Lookahead(new Adam(ps, { lr: 0.05, runtime }), { syncPeriod: 2 });
    await train(la, ps, 1, 3, false);
    const good = la.stateDict();
    const bad = throughJSON(good);
    (bad.state['1'] as Record<string, number[]>).slow = [1, 2];
    expect(() => la.loadStateDict(bad)).toThrow(/parameter 1: 'slow' must be a Float32Array or an array of 4 numbers, got Array\(2\)/);
    const short = { ...good, state: { ...good.state, 1: { ...good.state['1'], slow: new Float32Array(2) } } };
    expect(() => la.loadStateDict(short)).toThrow(/parameter 1: 'slow' must be a Float32Array or an array of 4 numbers, got Float32Array\(2\)/);
    // Plain JSON.stringify writes the state arrays as arrays of numbers, and that loads.
    la.loadStateDict(JSON.parse(JSON.stringify(good)));
    expect(la.stateDict()).toEqual(good);
    // A Float32Array of the user's own through JSON becomes an object of numbered keys: refused, saying how to write JSON.
    const base = good.base as { state: Record<string, Record<string, unknown>> };
    const own = { ...good, base: { ...base, state: { ...base.state, 0: { ...base.state['0'], expAvg: Float32Array.from(base.state['0'].expAvg as Float32Array) } } } };
    expect(() => la.loadStateDict(JSON.parse(JSON.stringify(own)))).toThrow(/must be a Float32Array or an array of 12 numbers, got Object with keys "0", "1".*Array\.from/);
    expect(() => la.loadStateDict({ ...good, wrapper: { name: 'Scout' } })).toThrow(/a Scout's, not a Lookahead's/);
    expect(la.stateDict()).toEqual(good);
    await la.release();
  });
});
