import * as fs from 'fs';
import * as path from 'path';
import { Runtime } from '@ortrain/runtime';
import {
  ConstantLR, CosineAnnealingLR, ExponentialLR, LambdaLR, LinearLR, LRScheduler, LrGroups, MultiStepLR, MultiplicativeLR, Parameter,
  PolynomialLR, ReduceLROnPlateau, SGD, StepLR, clipGradNorm, clipGradValue,
} from '../src';
import { camelOptions } from './golden';

// Oracles made by tools/oracles/optimizers/lr_schedulers.py with torch 1.13.
const data = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, 'data', name), 'utf8'));
const schedules = data('lr_schedulers.json') as { steps: number; entries: { name: string; kwargs?: Record<string, unknown>; lambda?: string; metrics?: number[]; lrs: number[][] }[] };

const LAMBDAS: Record<string, (e: number) => number> = {
  '0.95 ** epoch': (e) => 0.95 ** e,
  '1 / (1 + epoch)': (e) => 1 / (1 + e),
  '0.9 if epoch % 2 else 1.0': (e) => (e % 2 ? 0.9 : 1.0),
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const CLASSES: Record<string, new (o: LrGroups, options: any) => LRScheduler> = { StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR, CosineAnnealingLR };

function optimizer() {
  const a = new Parameter('a', new Float32Array(2), [2]);
  const b = new Parameter('b', new Float32Array(3), [3]);
  return new SGD([{ params: [a], lr: 0.1 }, { params: [b], lr: 0.05 }], { lr: 0.1 });
}

describe('lr schedulers reproduce torch 1.13 (two groups, 30 steps)', () => {
  test.each(schedules.entries.map((e, i) => [`${e.name} ${JSON.stringify(e.kwargs ?? e.lambda)}`, i] as const))('%s', (_, i) => {
    const e = schedules.entries[i];
    const opt = optimizer();
    let step: (k: number) => void;
    if (e.name === 'ReduceLROnPlateau') {
      const s = new ReduceLROnPlateau(opt, camelOptions(e.kwargs!));
      step = (k) => s.step(e.metrics![k]);
    } else if (e.lambda) {
      const s = e.name === 'LambdaLR' ? new LambdaLR(opt, LAMBDAS[e.lambda]) : new MultiplicativeLR(opt, LAMBDAS[e.lambda]);
      step = () => s.step();
    } else {
      const s = new CLASSES[e.name](opt, camelOptions(e.kwargs!));
      step = () => s.step();
    }
    const got = [opt.paramGroups.map((g) => g.lr)];
    for (let k = 0; k < schedules.steps; k++) {
      step(k);
      got.push(opt.paramGroups.map((g) => g.lr));
    }
    got.forEach((lrs, k) => lrs.forEach((lr, j) => expect(Math.abs(lr - e.lrs[k][j])).toBeLessThanOrEqual(1e-12 + 1e-9 * Math.abs(e.lrs[k][j]))));
  });

  test('scheduling changes lr without rebuilding the session, and steps use it', async () => {
    const runtime = await Runtime.create({ executionProviders: ['cpu'] });
    const W = new Parameter('W', new Float32Array([0]), [1]);
    const opt = new SGD([W], { lr: 1, runtime });
    const s = new StepLR(opt, { stepSize: 1, gamma: 0.5 });
    for (let k = 0; k < 4; k++) {
      W.grad = new Float32Array([1]);
      await opt.step();
      s.step();
    }
    expect(W.data[0]).toBeCloseTo(-(1 + 0.5 + 0.25 + 0.125), 6);
    expect(opt.sessionCount).toBe(1);
    expect(s.getLastLr()).toEqual([0.0625]);
  });

  test('a second scheduler starts from the initial lr; state dicts round-trip through JSON', () => {
    const opt = optimizer();
    const a = new ExponentialLR(opt, { gamma: 0.5 });
    a.step();
    a.step();
    const b = new LambdaLR(opt, (e) => 1 / (e + 1));
    expect(b.baseLrs).toEqual([0.1, 0.05]);
    const saved = JSON.parse(JSON.stringify(a.stateDict()));
    const other = new ExponentialLR(optimizer(), { gamma: 0.5 });
    other.loadStateDict(saved);
    expect(other.stateDict()).toEqual(a.stateDict());
    const p = new ReduceLROnPlateau(opt);
    p.step(3);
    const q = new ReduceLROnPlateau(optimizer());
    q.loadStateDict(JSON.parse(JSON.stringify(p.stateDict())));
    expect(q.best).toBe(3);
    expect(new ReduceLROnPlateau(optimizer()).stateDict().best).toBeNull();
  });

  test('bad options throw a RangeError naming them', () => {
    const opt = optimizer();
    expect(() => new StepLR(opt, { stepSize: 0 })).toThrow(/StepLR: invalid stepSize 0/);
    expect(() => new MultiStepLR(opt, { milestones: [1, -2] })).toThrow(/MultiStepLR: invalid milestones -2/);
    expect(() => new ConstantLR(opt, { factor: 2 })).toThrow(/ConstantLR: invalid factor 2/);
    expect(() => new LinearLR(opt, { startFactor: 0 })).toThrow(/LinearLR: invalid startFactor 0/);
    expect(() => new LinearLR(opt, { endFactor: 1.5 })).toThrow(/LinearLR: invalid endFactor 1.5/);
    expect(() => new ExponentialLR(opt, { gamma: -1 })).toThrow(/ExponentialLR: invalid gamma -1/);
    expect(() => new CosineAnnealingLR(opt, { TMax: 0 })).toThrow(/CosineAnnealingLR: invalid TMax 0/);
    expect(() => new PolynomialLR(opt, { power: Number.NaN })).toThrow(/PolynomialLR: invalid power NaN/);
    expect(() => new LambdaLR(opt, [(e) => e])).toThrow(/one per group \(2\), got 1 entries/);
    expect(() => new ReduceLROnPlateau(opt, { factor: 1 })).toThrow(/ReduceLROnPlateau: invalid factor 1/);
    expect(() => new ReduceLROnPlateau(opt, { mode: 'up' as 'min' })).toThrow(/invalid mode up/);
    expect(() => new ReduceLROnPlateau(opt, { thresholdMode: 'x' as 'rel' })).toThrow(/invalid thresholdMode x/);
    expect(() => new ReduceLROnPlateau(opt, { minLr: [0] })).toThrow(/invalid minLr \[0\]/);
    expect(() => new StepLR(optimizer(), { stepSize: 2, lastEpoch: 3 })).toThrow(/lastEpoch 3 resumes a schedule, but group 0 has no initial lr/);
  });
});

describe('gradient clipping reproduces torch.nn.utils (1.13)', () => {
  const clip = data('clip_grad.json') as { grads: number[][]; shapes: number[][]; entries: Record<string, unknown>[] };
  const params = () => clip.grads.map((g, i) => {
    const p = new Parameter(`p${i}`, new Float32Array(g.length), clip.shapes[i]);
    p.grad = Float32Array.from(g);
    return p;
  });
  test.each(clip.entries.map((e) => [JSON.stringify(e).slice(0, 60), e] as const))('%s', (_, e) => {
    const ps = params();
    if (e.fn === 'clip_grad_norm_') {
      const normType = e.norm_type === 'inf' ? Infinity : (e.norm_type as number);
      const total = clipGradNorm(ps, e.max_norm as number, normType);
      expect(Math.abs(total - (e.total_norm as number))).toBeLessThanOrEqual(1e-6 * (e.total_norm as number));
    } else {
      clipGradValue(ps, e.clip_value as number);
    }
    (e.grads_after as number[][]).forEach((g, i) => g.forEach((v, j) => expect(Math.abs(ps[i].grad![j] - v)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(v)))));
  });
  test('parameters without a gradient are left out; bad input throws', () => {
    const ps = params();
    ps[1].grad = null;
    expect(clipGradNorm(ps, 1e9)).toBeCloseTo(Math.hypot(...clip.grads[0], ...clip.grads[2]), 5);
    expect(clipGradNorm([], 1)).toBe(0);
    expect(() => clipGradNorm(ps, 1, 0)).toThrow(/invalid normType 0/);
    expect(() => clipGradValue(ps, -1)).toThrow(/invalid clipValue -1/);
    ps[0].grad![0] = Number.NaN;
    expect(() => clipGradNorm(ps, 1, 2, true)).toThrow(/total norm of order 2 of the gradients is NaN/);
    ps[2].grad = new Float32Array(7);
    expect(() => clipGradNorm(ps, 1)).toThrow(/parameter 'p2': gradient has 7 elements/);
  });
});
