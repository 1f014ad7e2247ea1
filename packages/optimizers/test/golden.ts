// Replays the golden optimizer trajectories of fixtures/golden (see its README); reading them is test/golden.ts.
import type { Runtime } from '@ortrain/runtime';
import { AnyOptimizer, Parameter, optimizerFromConfig, registeredOptimizers } from '../src';
import { TrajectoryEntry, camelOptions, goldenEntries as readEntries, goldenParams, maxDiff, setGoldenGrads } from '../../../test/golden';

export { camel, camelOptions, goldenGrad } from '../../../test/golden';

export interface GoldenEntry extends TrajectoryEntry {
  final_state?: Record<string, Record<string, unknown>>;
}

export const goldenEntries = (file: string, prefix: string): GoldenEntry[] => readEntries<GoldenEntry>(file, prefix);

export interface Replay {
  /** Largest absolute difference to the trajectory over every step. */
  maxDiff: number;
  optimizer: AnyOptimizer;
  W: Parameter;
  b: Parameter;
}

/** Every registered optimizer by its name, the name golden entries and error messages use. */
export const byAlgorithm: Record<string, (params: Parameter[], options: Record<string, unknown>) => AnyOptimizer> =
  Object.fromEntries(registeredOptimizers().map((name) => [name, (p: Parameter[], options: Record<string, unknown>) => optimizerFromConfig(p, { name, options })]));

/** Runs the entry's steps with `make` and compares every step with the trajectory. */
export async function replay(entry: GoldenEntry, make: (params: Parameter[], options: Record<string, unknown>) => AnyOptimizer, runtime?: Runtime): Promise<Replay> {
  const [W, b] = goldenParams(entry);
  const opt = make([W, b], { ...camelOptions(entry.hyperparams), ...(runtime ? { runtime } : {}) });
  let worst = 0;
  for (let k = 0; k < entry.steps; k++) {
    await setGoldenGrads(W, b, k + 1);
    await opt.step();
    worst = Math.max(worst, maxDiff([await W.read(), await b.read()], entry.trajectory[k]));
    if (!(worst <= 1e-5)) throw new Error(`${entry.name}: step ${k + 1} differs by ${worst}`);
  }
  return { maxDiff: worst, optimizer: opt, W, b };
}
