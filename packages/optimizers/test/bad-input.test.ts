import { Runtime, RuntimeSession } from '@ortrain/runtime';
import { Adam, Parameter, SGD } from '../src';
import { byAlgorithm } from './golden';

let runtime: Runtime;
beforeAll(async () => { runtime = await Runtime.create({ executionProviders: ['cpu'] }); });

const W = () => new Parameter('W', new Float32Array([1, 2, 3, 4]), [2, 2]);
type Ctor = (p: Parameter[], o: Record<string, unknown>) => unknown;
// SGD has no default lr (torch 1.13): give it one so that only the option under test is wrong.
const ctors: Record<string, Ctor> = { ...byAlgorithm, SGD: (p, o) => new SGD(p, { lr: 0.1, ...o }) };

describe('every invalid option throws a RangeError naming it and its value', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['SGD', { lr: -0.1 }, /SGD: invalid lr -0.1/],
    ['SGD', { momentum: -1 }, /invalid momentum -1/],
    ['SGD', { weightDecay: -0.5 }, /invalid weightDecay -0.5/],
    ['SGD', { nesterov: true }, /nesterov requires a momentum > 0 and zero dampening \(momentum 0, dampening 0\)/],
    ['SGD', { nesterov: true, momentum: 0.9, dampening: 0.1 }, /nesterov.*dampening 0.1/],
    ['SGD', { lr: Number.NaN }, /invalid lr NaN/],
    ['SGD', { nesterov: 'yes' }, /invalid nesterov yes/],
    ['SGD', { weight_decay: 0.1 }, /unknown option 'weight_decay' = 0.1/],
    ['Adam', { lr: -1 }, /Adam: invalid lr -1/],
    ['Adam', { eps: -1e-8 }, /invalid eps -1e-8/],
    ['Adam', { betas: [1, 0.999] }, /invalid betas\[0\] 1 \(must be in \[0, 1\)\)/],
    ['Adam', { betas: [0.9, -0.1] }, /invalid betas\[1\] -0.1/],
    ['Adam', { betas: [0.9] }, /invalid betas \[0.9\]/],
    ['Adam', { weightDecay: -1 }, /invalid weightDecay -1/],
    ['Adam', { amsgrad: 1 }, /invalid amsgrad 1/],
    ['Adam', { epsHat: 'no' }, /invalid epsHat no/],
    ['AdamW', { weightDecay: -0.01 }, /AdamW: invalid weightDecay -0.01/],
    ['AdamW', { betas: [0.9, 1.5] }, /AdamW: invalid betas\[1\] 1.5/],
    ['Adamax', { eps: -1 }, /Adamax: invalid eps -1/],
    ['Adamax', { betas: [-0.1, 0.9] }, /Adamax: invalid betas\[0\] -0.1/],
    ['Adagrad', { lrDecay: -1 }, /Adagrad: invalid lrDecay -1/],
    ['Adagrad', { initialAccumulatorValue: -0.1 }, /invalid initialAccumulatorValue -0.1/],
    ['Adagrad', { eps: -1 }, /Adagrad: invalid eps -1/],
    ['RMSprop', { alpha: -0.1 }, /RMSprop: invalid alpha -0.1/],
    ['RMSprop', { momentum: -0.1 }, /RMSprop: invalid momentum -0.1/],
    ['RMSprop', { centered: 1 }, /invalid centered 1/],
    ['RAdam', { betas: [0.9, 1] }, /RAdam: invalid betas\[1\] 1/],
    ['NAdam', { momentumDecay: -0.004 }, /NAdam: invalid momentumDecay -0.004/],
    ['NAdam', { lr: Infinity }, /NAdam: invalid lr Infinity/],
  ];
  test.each(cases)('%s %j', (algo, options, message) => {
    expect(() => ctors[algo]([W()], options)).toThrow(RangeError);
    expect(() => ctors[algo]([W()], options)).toThrow(message);
    // The same check holds for a group's own options.
    expect(() => ctors[algo]([{ params: [W()], ...options } as unknown as Parameter], {})).toThrow(message);
  });
  test('SGD requires lr, as torch 1.13', () => {
    expect(() => new SGD([W()])).toThrow(/SGD: option lr is required/);
    expect(() => new SGD([{ params: [W()], lr: 0.1 }])).not.toThrow();
  });
  test('an empty parameter list, or something that is not a Parameter', () => {
    expect(() => new Adam([])).toThrow(/empty parameter list/);
    expect(() => new Adam([{ params: [new Float32Array(2) as unknown as Parameter] }])).toThrow(/Float32Array\(2\), not a Parameter/);
  });
  test('an option edited to a bad value fails the next step, changing nothing', async () => {
    const p = W();
    const opt = new Adam([p], { runtime });
    p.grad = new Float32Array(4).fill(1);
    opt.paramGroups[0].lr = -1;
    await expect(opt.step()).rejects.toThrow(/Adam: invalid lr -1/);
    expect(Array.from(p.data)).toEqual([1, 2, 3, 4]);
    expect(opt.stateDict().state).toEqual({});
  });
});

describe('bad gradients throw naming the parameter; a failed step changes nothing', () => {
  async function trained() {
    const a = new Parameter('layer.weight', new Float32Array([1, 2, 3, 4]), [2, 2]);
    const b = new Parameter('layer.bias', new Float32Array([5, 6]), [2]);
    const c = new Parameter('head.weight', new Float32Array([7, 8]), [2]);
    const opt = new Adam([{ params: [a, b] }, { params: [c], lr: 0.1 }], { lr: 0.01, runtime });
    for (const p of [a, b, c]) p.grad = new Float32Array(p.size).fill(0.5);
    await opt.step();
    const before = { data: [a, b, c].map((p) => Array.from(p.data)), state: opt.stateDict() };
    const unchanged = () => {
      expect([a, b, c].map((p) => Array.from(p.data))).toEqual(before.data);
      expect(opt.stateDict()).toEqual(before.state);
    };
    return { a, b, c, opt, unchanged };
  }
  test('wrong length', async () => {
    const { a, b, c, opt, unchanged } = await trained();
    a.grad = new Float32Array(4);
    b.grad = new Float32Array(2);
    c.grad = new Float32Array(3);
    await expect(opt.step()).rejects.toThrow(RangeError);
    await expect(opt.step()).rejects.toThrow(/parameter 'head.weight': gradient has 3 elements, the parameter 2 \(shape \[2\]\)/);
    unchanged();
  });
  test('wrong dtype', async () => {
    const { a, b, opt, unchanged } = await trained();
    a.grad = new Float64Array(4) as unknown as Float32Array;
    b.grad = new Float32Array(2);
    await expect(opt.step()).rejects.toThrow(TypeError);
    await expect(opt.step()).rejects.toThrow(/parameter 'layer.weight': gradient must be a Float32Array, got Float64Array\(4\)/);
    unchanged();
  });
  test('a throwing pre-hook, closure or post-hook', async () => {
    const { a, b, c, opt, unchanged } = await trained();
    for (const p of [a, b, c]) p.grad = new Float32Array(p.size).fill(1);
    const pre = opt.registerStepPreHook(() => { throw new Error('pre failed'); });
    await expect(opt.step()).rejects.toThrow('pre failed');
    unchanged();
    pre.remove();
    await expect(opt.step(async () => { throw new Error('closure failed'); })).rejects.toThrow('closure failed');
    unchanged();
    const post = opt.registerStepPostHook(() => { throw new Error('post failed'); });
    await expect(opt.step()).rejects.toThrow('post failed');
    unchanged();
    post.remove();
    // And the optimizer still works.
    await opt.step();
    expect(opt.stateDict().state['2'].step).toBe(2);
  });
  test('a run that fails in onnxruntime (here the second group) leaves every group unchanged', async () => {
    const inner = await Runtime.create({ executionProviders: ['cpu'] });
    let calls = 0;
    let failOn = -1;
    const failing = Object.create(inner) as Runtime;
    failing.createSession = async (model, opts) => {
      const s = await inner.createSession(model, opts);
      return { ...s, run: (feeds) => (++calls === failOn ? Promise.reject(new Error('device lost')) : s.run(feeds)) } as RuntimeSession;
    };
    const a = new Parameter('a', new Float32Array([1, 2]), [2]);
    const c = new Parameter('c', new Float32Array([3]), [1]);
    const opt = new Adam([{ params: [a] }, { params: [c] }], { lr: 0.1, runtime: failing });
    a.grad = new Float32Array([1, 1]);
    c.grad = new Float32Array([1]);
    await opt.step();
    const before = { a: Array.from(a.data), c: Array.from(c.data), state: opt.stateDict() };
    failOn = calls + 2;
    await expect(opt.step()).rejects.toThrow('device lost');
    expect(Array.from(a.data)).toEqual(before.a);
    expect(Array.from(c.data)).toEqual(before.c);
    expect(opt.stateDict()).toEqual(before.state);
    await opt.step();
    expect(opt.stateDict().state['0'].step).toBe(2);
  });
  test('a step while another is running is refused', async () => {
    const { opt, unchanged } = await trained();
    const first = opt.step();
    await expect(opt.step()).rejects.toThrow(/previous step\(\) has not finished/);
    await first;
    void unchanged;
  });
});
