// Reads adadamp.json (fixtures/golden, see its README) and drives a damper the way its entries were recorded.
import * as fs from 'fs';
import * as path from 'path';
import { AdaDamp, AdaDampNN, BaseDamper, CntsDampLR, DamperMeta, GeoDamp, GeoDampLR, GradientDescent, PadaDamp, RadaDamp } from '../src';

export interface GoldenRecord {
  k: number;
  num_examples_before: number;
  epochs_before: number;
  damping_called: boolean;
  damping: number;
  batch_size: number;
  lr: number;
  lr_factor: number;
  num_examples_after: number;
  pre_ceil?: number;
}

export interface GoldenEntry {
  name: string;
  source: string;
  hyperparams: Record<string, number | string>;
  dataset_size: number;
  max_batch_size: number;
  initial_lr: number;
  n_updates: number;
  damping_rule: string;
  driver: string;
  records: GoldenRecord[];
}

export function goldenEntries(): GoldenEntry[] {
  const file = path.join(__dirname, '../../../fixtures/golden/adadamp.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { entries: GoldenEntry[] }).entries;
}

const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

// The harness's synthetic signals (each entry's damping_rule says which).
export const fullLoss = (meta: DamperMeta): number => 1 / (1 + 0.1 * meta.modelUpdates);
export const fullGradients = (meta: DamperMeta): Float64Array[] => [Float64Array.of(1 / (1 + 0.1 * meta.modelUpdates))];
export const batchLoss = (k: number): number => 1 / (1 + 0.1 * k) + 0.05 * Math.sin(k);
export const batchNorm2 = (k: number): number => 2 / (1 + 0.2 * k) + 0.1 * Math.cos(k);

/** The entry's class with its hyperparameters in camelCase, the dataset size and the optimizer's lr. */
export function makeDamper(entry: GoldenEntry): BaseDamper {
  const options: Record<string, unknown> = { datasetSize: entry.dataset_size, lr: entry.initial_lr };
  for (const [k, v] of Object.entries(entry.hyperparams)) options[k === 'dampingdelay' || k === 'dampingfactor' ? k : camel(k)] = v;
  const cls = entry.source.split(' ')[0].replace('adadamp.damping.', '');
  const o = options as never;
  switch (cls) {
    case 'BaseDamper': return new BaseDamper(o);
    case 'PadaDamp': return new PadaDamp(o);
    case 'GeoDamp': return new GeoDamp(o);
    case 'GeoDampLR': return new GeoDampLR(o);
    case 'CntsDampLR': return new CntsDampLR(o);
    case 'GradientDescent': return new GradientDescent(o);
    case 'AdaDamp': return new AdaDamp({ ...(options as object), loss: fullLoss } as never);
    case 'AdaDampNN': return new AdaDampNN({ ...(options as object), gradients: fullGradients } as never);
    case 'RadaDamp': return new RadaDamp(o);
    default: throw new Error(`no class for ${entry.source}`);
  }
}

/** The record of update k as the driver closes it: examples drawn and, for RadaDamp, the harness's signals. */
export function recordOf(k: number, batchSize: number): { examples: number; loss: number; gradNorm2: number } {
  return { examples: batchSize, loss: batchLoss(k), gradNorm2: batchNorm2(k) };
}

export function closeTo(actual: number, expected: number, rel = 1e-12): boolean {
  return actual === expected || Math.abs(actual - expected) <= rel * Math.abs(expected);
}

/** Compares update k with its golden record; returns the differences (empty when equal). */
export function compare(
  g: GoldenRecord,
  before: DamperMeta,
  step: { batchSize: number; lr: number; lrFactor: number; damping: number; dampingCalled: boolean },
  after: DamperMeta,
): string[] {
  const bad: string[] = [];
  const exact = (what: string, a: unknown, e: unknown): void => {
    if (a !== e) bad.push(`k=${g.k} ${what}: ${String(a)} != ${String(e)}`);
  };
  const near = (what: string, a: number, e: number): void => {
    if (!closeTo(a, e)) bad.push(`k=${g.k} ${what}: ${a} != ${e}`);
  };
  exact('modelUpdates', before.modelUpdates, g.k);
  exact('numExamples before', before.numExamples, g.num_examples_before);
  exact('epochs before', before.epochs, g.epochs_before);
  exact('damping called', step.dampingCalled, g.damping_called);
  near('damping', step.damping, g.damping);
  exact('batch size', step.batchSize, g.batch_size);
  near('lr', step.lr, g.lr);
  near('lr factor', step.lrFactor, g.lr_factor);
  exact('numExamples after', after.numExamples, g.num_examples_after);
  exact('modelUpdates after', after.modelUpdates, g.k + 1);
  return bad;
}
