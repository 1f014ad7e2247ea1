// The golden SAM (quadra.json) and Lookahead/Scout (holocron.json) entries of fixtures/golden, replayed.
import * as fs from 'fs';
import * as path from 'path';
import { Adam, Parameter, SGD } from '@ortrain/optimizers';
import type { Runtime } from '@ortrain/runtime';
import { Lookahead, SAM, Scout } from '../src';

const GOLDEN = path.join(__dirname, '../../../fixtures/golden');

export interface WrapperEntry {
  name: string;
  hyperparams: Record<string, unknown>;
  init: { W: number[]; b: number[] };
  param_shapes: { W: number[]; b: number[] };
  steps: number;
  trajectory: [number[], number[]][];
  perturbed_trajectory?: [number[], number[]][];
  slow_trajectory?: [number[], number[]][];
  syncs?: { after_fast_step: number; sync_rate: number }[];
}

export function entries(file: string, prefix: string): WrapperEntry[] {
  const data = JSON.parse(fs.readFileSync(path.join(GOLDEN, file), 'utf8')) as { entries: WrapperEntry[] };
  return data.entries.filter((e) => e.name.startsWith(prefix));
}

/** The golden problem's gradient at step t for the flattened current values x (see the golden README). */
export function grad(x: Float32Array, t: number, offset: number): Float32Array {
  return Float32Array.from(x, (v, j) => Math.fround(0.3 * v + 0.1 * Math.sin(t + offset + j)));
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const camelOptions = (h: Record<string, unknown>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [camel(k), v]));
const bases = { 'torch.optim.SGD': SGD, 'torch.optim.Adam': Adam } as const;

function params(e: WrapperEntry): [Parameter, Parameter] {
  return [new Parameter('W', Float32Array.from(e.init.W), e.param_shapes.W), new Parameter('b', Float32Array.from(e.init.b), e.param_shapes.b)];
}

function diff(got: [Float32Array, Float32Array], want: [number[], number[]]): number {
  let d = 0;
  want.forEach((w, k) => w.forEach((v, j) => { d = Math.max(d, Math.abs(got[k][j] - v)); }));
  return d;
}

/** Replays a quadra SAM entry: the largest differences of the trajectory and of the perturbed one. */
export async function replaySAM(e: WrapperEntry, runtime: Runtime): Promise<{ trajectory: number; perturbed: number; sam: SAM }> {
  const [W, b] = params(e);
  const h = e.hyperparams as { rho: number; adaptive: boolean; base_optimizer: keyof typeof bases } & Record<string, unknown>;
  const kwargs = h['base_kwargs (passed through SAM **kwargs)'] as Record<string, unknown>;
  const sam = new SAM([W, b], bases[h.base_optimizer], { rho: h.rho, adaptive: h.adaptive, ...camelOptions(kwargs), runtime });
  let trajectory = 0;
  let perturbed = 0;
  for (let t = 1; t <= e.steps; t++) {
    W.grad = grad(await W.read(), t, 0);
    b.grad = grad(await b.read(), t, 12);
    await sam.step(async () => {
      const w = await W.read();
      const bv = await b.read();
      perturbed = Math.max(perturbed, diff([w, bv], e.perturbed_trajectory![t - 1]));
      W.grad = grad(w, t, 0);
      b.grad = grad(bv, t, 12);
      return 0;
    });
    trajectory = Math.max(trajectory, diff([await W.read(), await b.read()], e.trajectory[t - 1]));
  }
  return { trajectory, perturbed, sam };
}

/** Replays a holocron Lookahead or Scout entry: trajectory, slow trajectory and sync rates. */
export async function replaySlow(e: WrapperEntry, runtime: Runtime): Promise<{ trajectory: number; slow: number; rates: number; wrapper: Lookahead | Scout }> {
  const [W, b] = params(e);
  const h = e.hyperparams as { wrapper: Record<string, unknown>; base_optimizer: keyof typeof bases; base_hyperparams: Record<string, unknown> };
  const base = new bases[h.base_optimizer]([W, b], { ...camelOptions(h.base_hyperparams), runtime });
  const Wrap = e.name.includes('Scout') ? Scout : Lookahead;
  const wrapper = new Wrap(base, camelOptions(h.wrapper));
  let trajectory = 0;
  let slow = 0;
  let rates = 0;
  for (let t = 1; t <= e.steps; t++) {
    W.grad = grad(await W.read(), t, 0);
    b.grad = grad(await b.read(), t, 12);
    await wrapper.step();
    trajectory = Math.max(trajectory, diff([await W.read(), await b.read()], e.trajectory[t - 1]));
    await wrapper.sync();
    const saved = wrapper.stateDict().state;
    slow = Math.max(slow, diff([saved['0'].slow as Float32Array, saved['1'].slow as Float32Array], e.slow_trajectory![t - 1]));
    const s = e.syncs!.find((x) => x.after_fast_step === t);
    if (s) rates = Math.max(rates, Math.abs(wrapper.lastSyncRate! - s.sync_rate));
  }
  return { trajectory, slow, rates, wrapper };
}
