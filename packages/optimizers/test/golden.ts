// Reads the golden optimizer trajectories of fixtures/golden (see its README) and replays them.
import * as fs from 'fs';
import * as path from 'path';
import type { Runtime } from '@ortrain/runtime';
import { AnyOptimizer, Parameter, optimizerFromConfig, registeredOptimizers } from '../src';

export interface GoldenEntry {
  name: string;
  hyperparams: Record<string, unknown>;
  init: { W: number[]; b: number[] };
  param_shapes: { W: number[]; b: number[] };
  steps: number;
  trajectory: [number[], number[]][];
  final_state?: Record<string, Record<string, unknown>>;
}

const GOLDEN = path.join(__dirname, '../../../fixtures/golden');

export function goldenEntries(file: string, prefix: string): GoldenEntry[] {
  const data = JSON.parse(fs.readFileSync(path.join(GOLDEN, file), 'utf8')) as { entries: GoldenEntry[] };
  return data.entries.filter((e) => e.name.startsWith(prefix));
}

export const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

export function camelOptions(h: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [camel(k), v]));
}

/** The gradient of the golden problem at step t for the flattened current values x. */
export function goldenGrad(x: Float32Array, t: number, offset: number): Float32Array {
  return Float32Array.from(x, (v, j) => Math.fround(0.3 * v + 0.1 * Math.sin(t + offset + j)));
}

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
  const W = new Parameter('W', Float32Array.from(entry.init.W), entry.param_shapes.W);
  const b = new Parameter('b', Float32Array.from(entry.init.b), entry.param_shapes.b);
  const opt = make([W, b], { ...camelOptions(entry.hyperparams), ...(runtime ? { runtime } : {}) });
  let maxDiff = 0;
  for (let k = 0; k < entry.steps; k++) {
    const w = await W.read();
    const bv = await b.read();
    W.grad = goldenGrad(w, k + 1, 0);
    b.grad = goldenGrad(bv, k + 1, 12);
    await opt.step();
    const [ew, eb] = entry.trajectory[k];
    const gw = await W.read();
    const gb = await b.read();
    ew.forEach((v, j) => { maxDiff = Math.max(maxDiff, Math.abs(gw[j] - v)); });
    eb.forEach((v, j) => { maxDiff = Math.max(maxDiff, Math.abs(gb[j] - v)); });
    if (!(maxDiff <= 1e-5)) throw new Error(`${entry.name}: step ${k + 1} differs by ${maxDiff}`);
  }
  return { maxDiff, optimizer: opt, W, b };
}
