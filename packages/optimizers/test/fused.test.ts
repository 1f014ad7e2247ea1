import { GraphBuilder, encodeModel } from '@ortrain/graph-builder';
import { Runtime, RuntimeSession } from '@ortrain/runtime';
import { Adam, Parameter, RAdam } from '../src';
import { goldenEntries } from './golden';

let runtime: Runtime;
beforeAll(async () => { runtime = await Runtime.create({ executionProviders: ['cpu'] }); });

/**
 * A "training graph" of the golden problem: the gradient 0.3 x + 0.1 sin(t + j) computed in the graph from
 * the parameters (the sine term fed per step), and the optimizer's update appended: one run per step.
 */
async function fusedAdam(options: Record<string, unknown>, make = (p: Parameter[]) => new Adam(p, { ...options, runtime })) {
  const entry = goldenEntries('torch_optim.json', 'torch.Adam#1')[0];
  const W = new Parameter('W', Float32Array.from(entry.init.W), [3, 4]);
  const b = new Parameter('b', Float32Array.from(entry.init.b), [4]);
  const opt = make([W, b]);
  const build = async () => {
    const g = new GraphBuilder('train');
    const update = opt.fuse(g, 0);
    const [w, bias] = update.views();
    const sine = g.input('sine', 'float32', [16]);
    const gw = g.add(g.mul(w, 0.3), g.reshape(g.slice(sine, [0], [12], [0]), [3, 4]));
    const gb = g.add(g.mul(bias, 0.3), g.slice(sine, [12], [16], [0]));
    g.output(g.reduceSum(g.mul(w, w)), 'loss'); // something else the graph computes
    update.apply([gw, gb]);
    const session = await runtime.createSession(encodeModel(g.build()), { deviceOutputs: update.outputNames });
    return { update, session };
  };
  let built: { update: ReturnType<typeof opt.fuse>; session: RuntimeSession } = await build();
  let builds = 1;
  const step = async (t: number) => {
    if (!built.update.upToDate()) {
      built = await build();
      builds++;
    }
    const sine = new runtime.Tensor('float32', Float32Array.from({ length: 16 }, (_, j) => 0.1 * Math.sin(t + j)), [16]);
    return opt.stepFused([built.update], (feeds) => built.session.run({ ...feeds, sine }));
  };
  return { entry, W, b, opt, step, builds: () => builds, update: () => built.update };
}

describe('fused training: the update appended to another graph, one run per step', () => {
  test('reproduces torch.Adam#1 and keeps the optimizer face working', async () => {
    const { entry, W, b, opt, step, builds } = await fusedAdam({ lr: 0.05 });
    const log: string[] = [];
    opt.registerStepPreHook(() => { log.push('pre'); });
    opt.registerStepPostHook(() => { log.push('post'); });
    for (let k = 0; k < entry.steps; k++) {
      const results = await step(k + 1);
      expect(results.loss).toBeDefined();
      const w = await W.read();
      const bv = await b.read();
      entry.trajectory[k][0].forEach((v, j) => expect(Math.abs(w[j] - v)).toBeLessThanOrEqual(1e-5));
      entry.trajectory[k][1].forEach((v, j) => expect(Math.abs(bv[j] - v)).toBeLessThanOrEqual(1e-5));
    }
    expect(log.length).toBe(2 * entry.steps);
    expect(builds()).toBe(1);
    expect(opt.stateDict().state['0'].step).toBe(10);
    // lr is a scalar input of the fused graph too: no rebuild.
    opt.paramGroups[0].lr = 0;
    const before = Array.from(W.data);
    await step(11);
    expect(builds()).toBe(1);
    expect(Array.from(W.data)).toEqual(before);
  });
  test('matches step() (the same gradients up to float32 rounding)', async () => {
    const fused = await fusedAdam({ lr: 0.05, amsgrad: true, weightDecay: 0.1 });
    const W = new Parameter('W', Float32Array.from(fused.entry.init.W), [3, 4]);
    const b = new Parameter('b', Float32Array.from(fused.entry.init.b), [4]);
    const plain = new Adam([W, b], { lr: 0.05, amsgrad: true, weightDecay: 0.1, runtime });
    for (let t = 1; t <= 5; t++) {
      W.grad = Float32Array.from(W.data, (x, j) => Math.fround(0.3 * x) + Math.fround(0.1 * Math.sin(t + j)));
      b.grad = Float32Array.from(b.data, (x, j) => Math.fround(0.3 * x) + Math.fround(0.1 * Math.sin(t + 12 + j)));
      await plain.step();
      await fused.step(t);
    }
    fused.W.data.forEach((v, j) => expect(Math.abs(v - W.data[j])).toBeLessThanOrEqual(1e-6));
    const a = fused.opt.stateDict().state['1'].maxExpAvgSq as Float32Array;
    const c = plain.stateDict().state['1'].maxExpAvgSq as Float32Array;
    a.forEach((v, j) => expect(Math.abs(v - c[j])).toBeLessThanOrEqual(1e-9));
  });
  test('a failing run changes nothing', async () => {
    const { W, opt, step } = await fusedAdam({ lr: 0.05 });
    await step(1);
    const before = { w: Array.from(W.data), state: opt.stateDict() };
    await expect(opt.stepFused([opt.fuse(new GraphBuilder('x'), 0)], async () => ({}))).rejects.toThrow(/call apply\(\) before running/);
    opt.registerStepPostHook(() => { throw new Error('post'); });
    await expect(step(2)).rejects.toThrow('post');
    expect(Array.from(W.data)).toEqual(before.w);
    expect(opt.stateDict()).toEqual(before.state);
  });
  test('a step is planned once (upToDate, then the run), and planned again when an option or the state changes', async () => {
    const { W, opt, step, update } = await fusedAdam({ lr: 0.05 });
    const store = opt.stores[0];
    const planStep = jest.spyOn(store, 'planStep');
    await step(1); // builds: the graph's own plan, then upToDate's and feeds' (one plan for both)
    planStep.mockClear();
    for (let t = 2; t <= 4; t++) await step(t);
    expect(planStep).toHaveBeenCalledTimes(3);
    // A pre-hook that edits lr or betas in place between upToDate() and the run: the run uses the new values.
    const hook = opt.registerStepPreHook(() => { opt.paramGroups[0].betas[0] = 0.5; opt.paramGroups[0].lr = 0; });
    planStep.mockClear();
    const before = Array.from(W.data);
    await step(5);
    expect(planStep).toHaveBeenCalledTimes(2);
    expect(Array.from(W.data)).toEqual(before);
    hook.remove();
    // loadStateDict (new step counts) after a plan was made is seen too: step 6 again gives step 6's values.
    opt.paramGroups[0].lr = 0.05;
    opt.paramGroups[0].betas[0] = 0.9;
    const saved = { dict: opt.stateDict(), w: Float32Array.from(W.data) };
    await step(6);
    const w6 = Array.from(W.data);
    expect(update().upToDate()).toBe(true); // plans step 7
    opt.loadStateDict(saved.dict);
    W.data = Float32Array.from(saved.w);
    await step(6);
    expect(Array.from(W.data)).toEqual(w6);
  });

  test('without post-hooks a small group commits without keeping the old values; with one the undo restores them', async () => {
    const { W, opt, step } = await fusedAdam({ lr: 0.05 });
    await step(1);
    const held = W.data;
    await step(2);
    expect(W.data).toBe(held); // small groups copy into the same array
    const before = Array.from(W.data);
    const hook = opt.registerStepPostHook(() => { throw new Error('post'); });
    await expect(step(3)).rejects.toThrow('post');
    expect(Array.from(W.data)).toEqual(before);
    hook.remove();
    await step(3);
    expect(Array.from(W.data)).not.toEqual(before);
    expect(opt.stateDict().state['0'].step).toBe(3);
  });

  test("RAdam's switch to the rectified form asks for a new graph (upToDate)", async () => {
    const entry = goldenEntries('torch_optim.json', 'torch.RAdam#1')[0];
    const { W, step, builds } = await fusedAdam({}, (p) => new RAdam(p, { lr: 0.05, runtime }) as unknown as Adam);
    for (let k = 0; k < entry.steps; k++) {
      await step(k + 1);
      const w = await W.read();
      entry.trajectory[k][0].forEach((v, j) => expect(Math.abs(w[j] - v)).toBeLessThanOrEqual(1e-5));
    }
    expect(builds()).toBe(2);
  });
});
