// The golden SAM (quadra.json) and Lookahead/Scout (holocron.json) entries of fixtures/golden, replayed;
// reading them is test/golden.ts.
import { Adam, SGD } from '@ortrain/optimizers';
import type { Runtime } from '@ortrain/runtime';
import { Lookahead, SAM, Scout } from '../src';
import { TrajectoryEntry, camelOptions, goldenEntries, goldenGrad, goldenParams, maxDiff, setGoldenGrads } from '../../../test/golden';

export interface WrapperEntry extends TrajectoryEntry {
  perturbed_trajectory?: [number[], number[]][];
  slow_trajectory?: [number[], number[]][];
  syncs?: { after_fast_step: number; sync_rate: number }[];
}

export const entries = (file: string, prefix: string): WrapperEntry[] => goldenEntries<WrapperEntry>(file, prefix);

export { goldenGrad as grad } from '../../../test/golden';

const bases = { 'torch.optim.SGD': SGD, 'torch.optim.Adam': Adam } as const;

/** Replays a quadra SAM entry: the largest differences of the trajectory and of the perturbed one. */
export async function replaySAM(e: WrapperEntry, runtime: Runtime): Promise<{ trajectory: number; perturbed: number; sam: SAM }> {
  const [W, b] = goldenParams(e);
  const h = e.hyperparams as { rho: number; adaptive: boolean; base_optimizer: keyof typeof bases } & Record<string, unknown>;
  const kwargs = h['base_kwargs (passed through SAM **kwargs)'] as Record<string, unknown>;
  const sam = new SAM([W, b], bases[h.base_optimizer], { rho: h.rho, adaptive: h.adaptive, ...camelOptions(kwargs), runtime });
  let trajectory = 0;
  let perturbed = 0;
  for (let t = 1; t <= e.steps; t++) {
    await setGoldenGrads(W, b, t);
    await sam.step(async () => {
      const w = await W.read();
      const bv = await b.read();
      perturbed = Math.max(perturbed, maxDiff([w, bv], e.perturbed_trajectory![t - 1]));
      W.grad = goldenGrad(w, t, 0);
      b.grad = goldenGrad(bv, t, 12);
      return 0;
    });
    trajectory = Math.max(trajectory, maxDiff([await W.read(), await b.read()], e.trajectory[t - 1]));
  }
  return { trajectory, perturbed, sam };
}

/** Replays a holocron Lookahead or Scout entry: trajectory, slow trajectory and sync rates. */
export async function replaySlow(e: WrapperEntry, runtime: Runtime): Promise<{ trajectory: number; slow: number; rates: number; wrapper: Lookahead | Scout }> {
  const [W, b] = goldenParams(e);
  const h = e.hyperparams as { wrapper: Record<string, unknown>; base_optimizer: keyof typeof bases; base_hyperparams: Record<string, unknown> };
  const base = new bases[h.base_optimizer]([W, b], { ...camelOptions(h.base_hyperparams), runtime });
  const Wrap = e.name.includes('Scout') ? Scout : Lookahead;
  const wrapper = new Wrap(base, camelOptions(h.wrapper));
  let trajectory = 0;
  let slow = 0;
  let rates = 0;
  for (let t = 1; t <= e.steps; t++) {
    await setGoldenGrads(W, b, t);
    await wrapper.step();
    trajectory = Math.max(trajectory, maxDiff([await W.read(), await b.read()], e.trajectory[t - 1]));
    await wrapper.sync();
    const saved = wrapper.stateDict().state;
    slow = Math.max(slow, maxDiff([Float32Array.from(saved['0'].slow as Float32Array), Float32Array.from(saved['1'].slow as Float32Array)], e.slow_trajectory![t - 1]));
    const s = e.syncs!.find((x) => x.after_fast_step === t);
    if (s) rates = Math.max(rates, Math.abs(wrapper.lastSyncRate! - s.sync_rate));
  }
  return { trajectory, slow, rates, wrapper };
}
