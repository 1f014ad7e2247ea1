import { GraphBuilder, encodeModel } from '@ortrain/graph-builder';
import { Runtime } from '@ortrain/runtime';
import {
  AdaBelief, AdEMAMix, Adam, AdamP, Adan, AnyOptimizer, LAMB, LARS, Optimizer, Parameter, RaLars, TAdam, OptimizerStateDict,
  algorithm, learningRate, optimizerFromConfig, registerOptimizer, registeredOptimizers, scaleByAdaBelief, trustRatio, updateDecay,
} from '../src';
import { make as makeTarget, targets } from './catalogue-targets';
import { goldenGrad } from './golden';

let runtime: Runtime;
beforeAll(async () => { runtime = await Runtime.create({ executionProviders: ['cpu'] }); });
afterAll(async () => { await runtime.release(); });

const params = () => [
  new Parameter('W', Float32Array.from({ length: 12 }, (_, i) => Math.sin(i + 1)), [3, 4]),
  new Parameter('b', Float32Array.from({ length: 4 }, (_, i) => Math.cos(i + 1)), [4]),
];
const NAMES = ['LARS', 'LAMB', 'RaLars', 'TAdam', 'AdaBelief', 'AdamP', 'Adan', 'AdEMAMix'];
/** Options that exercise each algorithm's state and per-tensor parts. */
const OPTIONS: Record<string, Record<string, unknown>> = {
  LARS: { lr: 0.1, momentum: 0.9, weightDecay: 0.01 },
  LAMB: { lr: 0.02, weightDecay: 0.01 },
  RaLars: { lr: 0.02, betas: [0.9, 0.9] },
  TAdam: { lr: 0.05, amsgrad: true },
  AdaBelief: { lr: 0.05, amsgrad: true },
  AdamP: { lr: 0.05, delta: 3 },
  Adan: { lr: 0.05, weightDecay: 0.01 },
  AdEMAMix: { lr: 0.05, decoupledWeightDecay: true, weightDecay: 0.01, alphaWarmup: 5, beta3Warmup: 5 },
};
const make = (name: string, ps: Parameter[], extra: Record<string, unknown> = {}): AnyOptimizer =>
  optimizerFromConfig(ps, { name, options: { ...OPTIONS[name], ...extra, runtime } });

async function steps(opt: AnyOptimizer, ps: Parameter[], from: number, to: number): Promise<void> {
  for (let t = from; t <= to; t++) {
    ps[0].grad = goldenGrad(await ps[0].read(), t, 0);
    ps[1].grad = goldenGrad(await ps[1].read(), t, 12);
    await opt.step();
  }
}

describe('bad options throw a RangeError naming the option and the value', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['LARS', { lr: -0.1 }, /LARS: invalid lr -0.1/],
    ['LARS', { lr: undefined }, /LARS: option lr is required/],
    ['LARS', { trustCoefficient: -1 }, /LARS: invalid trustCoefficient -1/],
    ['LARS', { scaleClip: [2, 1] }, /LARS: invalid scaleClip \[2, 1\]/],
    ['LARS', { compat: 'torch' }, /LARS: invalid compat torch \(known: 'quadra', 'holocron', or null\)/],
    ['LARS', { nesterov: true, momentum: 0 }, /LARS: nesterov requires a momentum > 0/],
    ['LAMB', { lr: -1 }, /LAMB: invalid lr -1/],
    ['LAMB', { betas: [1, 0.999] }, /LAMB: invalid betas\[0\] 1/],
    ['LAMB', { scaleClip: [0, -1] }, /LAMB: invalid scaleClip \[0, -1\]/],
    ['LAMB', { compat: 'quadra' }, /LAMB: invalid compat quadra/],
    ['RaLars', { betas: [0.9, 1] }, /RaLars: invalid betas\[1\] 1/],
    ['RaLars', { scaleClip: [3, 1.2] }, /RaLars: invalid scaleClip \[3, 1.2\]/],
    ['RaLars', { forceAdaptiveMomentum: 1 }, /RaLars: invalid forceAdaptiveMomentum 1/],
    ['TAdam', { dof: 0 }, /TAdam: invalid dof 0 \(must be a finite number > 0, or null\)/],
    ['TAdam', { dof: -2 }, /TAdam: invalid dof -2/],
    ['TAdam', { eps: -1 }, /TAdam: invalid eps -1/],
    ['AdaBelief', { betas: [0.9, -0.1] }, /AdaBelief: invalid betas\[1\] -0.1/],
    ['AdaBelief', { compat: 'dragon' }, /AdaBelief: invalid compat dragon/],
    ['AdamP', { delta: -1 }, /AdamP: invalid delta -1/],
    ['AdamP', { weightDecay: -0.1 }, /AdamP: invalid weightDecay -0.1/],
    ['Adan', { betas: [0.98, 0.92] }, /Adan: invalid betas \[0.98, 0.92\] \(must be three numbers/],
    ['Adan', { betas: [0.98, 0.92, 1.2] }, /Adan: invalid betas\[2\] 1.2/],
    ['Adan', { lr: -0.5 }, /Adan: invalid lr -0.5/],
    ['AdEMAMix', { alpha: -1 }, /AdEMAMix: invalid alpha -1/],
    ['AdEMAMix', { alphaWarmup: 1.5 }, /AdEMAMix: invalid alphaWarmup 1.5/],
    ['AdEMAMix', { betas: [0.9, 0.999, 1] }, /AdEMAMix: invalid betas\[2\] 1/],
    ['AdEMAMix', { compat: 'apple' }, /AdEMAMix: invalid compat apple/],
  ];
  test('every class has cases', () => expect(new Set(cases.map((c) => c[0]))).toEqual(new Set(NAMES)));
  test.each(cases.map(([n, o, re]) => [`${n} ${JSON.stringify(o)}`, n, o, re] as const))('%s', (_, name, o, re) => {
    expect(() => make(name, params(), o)).toThrow(RangeError);
    expect(() => make(name, params(), o)).toThrow(re);
  });
  test('an option edited to a bad value throws at the next step and changes nothing', async () => {
    const ps = params();
    const opt = new LAMB(ps, { lr: 0.02, runtime });
    await steps(opt, ps, 1, 1);
    const before = Array.from(ps[0].data);
    opt.paramGroups[0].scaleClip = [1, 0];
    ps[0].grad = new Float32Array(12).fill(0.1);
    await expect(opt.step()).rejects.toThrow(/LAMB: invalid scaleClip \[1, 0\]/);
    expect(Array.from(ps[0].data)).toEqual(before);
  });
});

describe('state dicts: saved, loaded, and the next steps are bit-identical', () => {
  test.each(NAMES)('%s', async (name) => {
    const a = params();
    const optA = make(name, a);
    await steps(optA, a, 1, 3);
    const typed = optA.stateDict();
    // JSON needs the Float32Arrays written as plain arrays; loadStateDict takes both forms.
    const json = JSON.parse(JSON.stringify(typed, (_k, v: unknown) => (v instanceof Float32Array ? Array.from(v) : v))) as OptimizerStateDict;
    expect(json.algorithm).toBe(name);
    const copies = [typed, json].map((saved) => {
      const b = params();
      b.forEach((p, i) => { p.data = Float32Array.from(a[i].data); });
      const optB = make(name, b);
      optB.loadStateDict(saved);
      return { b, optB };
    });
    await steps(optA, a, 4, 7);
    for (const { b, optB } of copies) {
      await steps(optB, b, 4, 7);
      a.forEach((p, i) => expect(Array.from(b[i].data)).toEqual(Array.from(p.data)));
      expect(optB.stateDict()).toEqual(optA.stateDict());
      await optB.release();
    }
    await optA.release();
  });
  test("TAdam's per-tensor state is one number per tensor", async () => {
    const ps = params();
    const opt = new TAdam(ps, { lr: 0.05, runtime });
    await steps(opt, ps, 1, 2);
    const st = opt.stateDict().state;
    expect((st['0'].Wt as Float32Array).length).toBe(1);
    expect((st['1'].Wt as Float32Array).length).toBe(1);
    expect((st['0'].expAvg as Float32Array).length).toBe(12);
  });
  test("loading another algorithm's state dict throws and changes nothing", async () => {
    const ps = params();
    const adam = new Adam(ps, { lr: 0.05, runtime });
    await steps(adam, ps, 1, 2);
    const saved = adam.stateDict();
    const qs = params();
    const lamb = new LAMB(qs, { lr: 0.05, runtime });
    await steps(lamb, qs, 1, 1);
    const before = lamb.stateDict();
    expect(() => lamb.loadStateDict(saved)).toThrow(/LAMB.loadStateDict: the state dict is of Adam, not LAMB/);
    expect(lamb.stateDict()).toEqual(before);
    // Even without the algorithm's name, another algorithm's options are refused.
    const { algorithm: _, ...anonymous } = saved;
    void _;
    expect(() => lamb.loadStateDict(anonymous)).toThrow(RangeError);
    for (const name of NAMES.filter((n) => n !== 'LAMB')) {
      const other = make(name, params());
      expect(() => other.loadStateDict(before)).toThrow(/the state dict is of LAMB/);
    }
  });
});

describe('the registry', () => {
  test('every algorithm is registered by its class name and found case-insensitively', () => {
    for (const n of ['SGD', 'Adam', 'AdamW', 'Adamax', 'Adagrad', 'RMSprop', 'RAdam', 'NAdam', ...NAMES]) expect(registeredOptimizers()).toContain(n);
    const opt = optimizerFromConfig(params(), { name: 'lamb', options: { lr: 0.01 } });
    expect(opt).toBeInstanceOf(LAMB);
    expect(opt.getConfig()).toEqual({ name: 'LAMB', options: { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, scaleClip: [0, 10], compat: null } });
  });
  test('getConfig round-trips through JSON and optimizerFromConfig for every class', () => {
    for (const name of NAMES) {
      const opt = make(name, params());
      const config = JSON.parse(JSON.stringify(opt.getConfig()));
      expect(config.name).toBe(name);
      const again = optimizerFromConfig(params(), config);
      expect(again.getConfig()).toEqual(opt.getConfig());
    }
    const lars = LARS.fromConfig(params(), { name: 'LARS', options: { lr: 0.1, compat: 'holocron' } });
    expect(lars.paramGroups[0].compat).toBe('holocron');
    expect(() => LARS.fromConfig(params(), { name: 'LAMB', options: {} })).toThrow(/LARS.fromConfig: the config is of 'LAMB'/);
    const adam = Adam.fromConfig(params(), { name: 'adam', options: { lr: 0.5 } });
    expect(adam).toBeInstanceOf(Adam);
    expect(adam.paramGroups[0].lr).toBe(0.5);
    // Only registered classes know their name; the base class has none.
    expect(() => Optimizer.fromConfig(params(), { name: 'Adam', options: {} })).toThrow(new TypeError('Optimizer.fromConfig: the class is not registered (registerOptimizer builds it from a config)'));
  });
  test('an unknown name lists the known ones; a duplicate registration throws', () => {
    expect(() => optimizerFromConfig(params(), { name: 'Lion', options: {} })).toThrow(/unknown optimizer 'Lion' \(known: SGD, Adam, .*LAMB.*\)/);
    expect(() => registerOptimizer('adam', (ps, c) => new Adam(ps, c.options))).toThrow(/'Adam' is already registered/);
  });
  test("a user's own composition (LAMB over AdaBelief's direction) registers the same way", async () => {
    interface O { lr: number; betas: [number, number]; eps: number; weightDecay: number; scaleClip: [number, number] }
    const lambelief = algorithm<O>({
      name: 'LAMBelief',
      defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, scaleClip: [0, 10] },
      validate: (o) => { if (!(o.lr >= 0)) throw new RangeError(`LAMBelief: invalid lr ${o.lr}`); },
      rule: scaleByAdaBelief(),
      after: [updateDecay((o) => o.weightDecay), trustRatio({ measure: 'update', scaleClip: (o) => o.scaleClip }), learningRate((o) => o.lr)],
    });
    registerOptimizer('LAMBelief', (ps, c) => new Optimizer(lambelief, ps, c.options));
    const ps = params();
    const opt = optimizerFromConfig(ps, { name: 'lambelief', options: { lr: 0.1, runtime } });
    expect(opt.getConfig().name).toBe('LAMBelief');
    // A trust ratio makes each tensor's step lr * ||p|| (the weight norms are inside the clip).
    const norms = ps.map((p) => Math.hypot(...p.data));
    const before = ps.map((p) => Float64Array.from(p.data));
    await steps(opt, ps, 1, 1);
    ps.forEach((p, i) => {
      const moved = Math.hypot(...Array.from(p.data, (x, j) => x - before[i][j]));
      expect(moved).toBeCloseTo(0.1 * norms[i], 5);
    });
  });
  test('the classes are exported by their names', () => {
    expect([LARS, LAMB, RaLars, TAdam, AdaBelief, AdamP, Adan, AdEMAMix].map((c) => c.name)).toEqual(NAMES);
  });
});

describe('fused: the catalogue inside another graph (per-tensor norms and state there too), one run per step', () => {
  const chosen = ['holocron.TAdam#3', 'official/sail-sg-Adan/holocron.Adan#2', 'holocron.LARS#3', 'doc/holocron.LAMB#4', 'holocron.AdamP#6', 'quadra.LARS#4'];
  test.each(chosen)('%s within 1e-5', async (name) => {
    const t = targets().find((x) => x.entry.name === name)!;
    const entry = t.entry;
    const W = new Parameter('W', Float32Array.from(entry.init.W), [3, 4]);
    const b = new Parameter('b', Float32Array.from(entry.init.b), [4]);
    const opt = makeTarget(t, runtime)([W, b]) as Optimizer<object>;
    const g = new GraphBuilder('train');
    const update = opt.fuse(g, 0);
    const [w, bias] = update.views();
    const sine = g.input('sine', 'float32', [16]);
    update.apply([g.add(g.mul(w, 0.3), g.reshape(g.slice(sine, [0], [12], [0]), [3, 4])), g.add(g.mul(bias, 0.3), g.slice(sine, [12], [16], [0]))]);
    const session = await runtime.createSession(encodeModel(g.build()), { deviceOutputs: update.outputNames });
    let runs = 0;
    for (let k = 0; k < entry.steps; k++) {
      const s = new runtime.Tensor('float32', Float32Array.from({ length: 16 }, (_, j) => 0.1 * Math.sin(k + 1 + j)), [16]);
      expect(update.upToDate()).toBe(true);
      await opt.stepFused([update], (feeds) => { runs++; return session.run({ ...feeds, sine: s }); });
      const [ew, eb] = entry.trajectory[k];
      const gw = await W.read();
      const gb = await b.read();
      ew.forEach((v, j) => expect(Math.abs(gw[j] - v)).toBeLessThanOrEqual(1e-5));
      eb.forEach((v, j) => expect(Math.abs(gb[j] - v)).toBeLessThanOrEqual(1e-5));
    }
    expect(runs).toBe(entry.steps);
    await session.release();
    await opt.release();
  });
});
