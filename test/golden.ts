// The golden trajectories of fixtures/golden (see its README), shared by the optimizers' and the wrappers'
// tests: reading entries, their options in camelCase, and the problem every trajectory was recorded on.
import * as fs from 'fs';
import * as path from 'path';
import { Parameter } from '@ortrain/optimizers';

const GOLDEN = path.join(__dirname, '../fixtures/golden');

/** What every optimizer and wrapper entry holds: its options, the start of W and b, and the trajectory. */
export interface TrajectoryEntry {
  name: string;
  hyperparams: Record<string, unknown>;
  init: { W: number[]; b: number[] };
  param_shapes: { W: number[]; b: number[] };
  steps: number;
  trajectory: [number[], number[]][];
}

/** The entries of fixtures/golden/`file` whose names start with `prefix`. */
export function goldenEntries<E extends { name: string }>(file: string, prefix = ''): E[] {
  const data = JSON.parse(fs.readFileSync(path.join(GOLDEN, file), 'utf8')) as { entries: E[] };
  return data.entries.filter((e) => e.name.startsWith(prefix));
}

export const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export function camelOptions(h: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [camel(k), v]));
}

/** The gradient of the golden problem at step t for the flattened current values x. */
export function goldenGrad(x: Float32Array, t: number, offset: number): Float32Array {
  return Float32Array.from(x, (v, j) => Math.fround(0.3 * v + 0.1 * Math.sin(t + offset + j)));
}

/** The entry's W and b at their initial values. */
export function goldenParams(e: TrajectoryEntry): [Parameter, Parameter] {
  return [new Parameter('W', Float32Array.from(e.init.W), e.param_shapes.W), new Parameter('b', Float32Array.from(e.init.b), e.param_shapes.b)];
}

/** Sets W's and b's gradients to the golden problem's at step t, at their current values. */
export async function setGoldenGrads(W: Parameter, b: Parameter, t: number): Promise<void> {
  W.grad = goldenGrad(await W.read(), t, 0);
  b.grad = goldenGrad(await b.read(), t, 12);
}

/** The largest absolute difference between W and b as they are and a step of a trajectory. */
export function maxDiff(got: readonly [Float32Array, Float32Array], want: readonly [number[], number[]]): number {
  let d = 0;
  want.forEach((w, k) => w.forEach((v, j) => { d = Math.max(d, Math.abs(got[k][j] - v)); }));
  return d;
}
