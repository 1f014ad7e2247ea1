import type { EpochRecord, FitHistory, UpdateRecord } from './fit';

/** What a fit must share with the one that wrote a checkpoint to continue it. */
export interface Fingerprint {
  datasetLength: number;
  /** null with a damper. */
  batchSize: number | null;
  damper: boolean;
  seed: number;
  shuffle: boolean;
}

/** Where the loop stands after an update. */
export interface LoopState {
  updates: number;
  examples: number;
  /** Epochs completed. */
  epoch: number;
  /** Batches done in the epoch under way (fixed batch size). */
  position: number;
  /** The sampler's state when the epoch under way began: its order is drawn again from it. */
  epochStart: number;
  /** Sum of loss * batch size, and examples, of the epoch under way. */
  epochLoss: number;
  epochExamples: number;
  history: FitHistory;
}

export const FIT_STATE_KIND = 'ortrain.fit';

/**
 * The loop's state as it goes into a session checkpoint (its `rngState`): the fingerprint, the counters, the
 * sampler's stream, the damper's stateDict, and the history so far as float64 columns.
 */
/** The samplers' states: the epoch stream's, and with a damper @ortrain/damping's Sampler's. */
export interface SamplerStates {
  epochs: number;
  draws?: unknown;
}

export function fitState(fingerprint: Fingerprint, s: LoopState, random: SamplerStates, damper: unknown): Record<string, unknown> {
  const u = s.history.updates;
  const e = s.history.epochs;
  const names = [...new Set(e.flatMap((r) => Object.keys(r.metrics)))];
  const metrics = new Float64Array(e.length * names.length).fill(NaN);
  e.forEach((r, i) => names.forEach((name, j) => {
    if (name in r.metrics) metrics[i * names.length + j] = r.metrics[name];
  }));
  const column = (f: (r: UpdateRecord) => number) => Float64Array.from(u, f);
  return {
    kind: FIT_STATE_KIND,
    version: 1,
    fingerprint,
    loop: { updates: s.updates, examples: s.examples, epoch: s.epoch, position: s.position, epochStart: s.epochStart, epochLoss: s.epochLoss, epochExamples: s.epochExamples },
    random,
    damper,
    history: {
      loss: column((r) => r.loss), batchSize: column((r) => r.batchSize), lr: column((r) => r.lr), examples: column((r) => r.examples),
      epochLoss: Float64Array.from(e, (r) => r.loss), metricNames: names, metrics,
      /** Which epochs had which metrics (a metric absent from an epoch stays absent). */
      metricPresent: Uint8Array.from(e.flatMap((r) => names.map((name) => (name in r.metrics ? 1 : 0)))),
    },
  };
}

/** Reads the loop state back from a checkpoint's rngState; a checkpoint not written by fit is refused. */
export function readFitState(x: unknown, source: string): { fingerprint: Fingerprint; loop: LoopState; random: SamplerStates; damper: unknown } {
  const fail = (why: string) => new RangeError(`${source}: ${why}`);
  const s = x as Record<string, unknown> | undefined;
  if (!s || typeof s !== 'object' || s.kind !== FIT_STATE_KIND) throw fail('was not written by fit (it holds no loop state): resume takes the checkpoints that fit writes');
  if (s.version !== 1) throw fail(`holds fit state version ${String(s.version)}; this ortrain reads version 1`);
  const loop = s.loop as Record<string, number>;
  const h = s.history as Record<string, unknown>;
  const cols = ['loss', 'batchSize', 'lr', 'examples', 'epochLoss', 'metrics'] as const;
  if (!loop || !h || cols.some((c) => !(h[c] instanceof Float64Array)) || !Array.isArray(h.metricNames) || !(h.metricPresent instanceof Uint8Array)) {
    throw fail('its fit state is incomplete');
  }
  const col = (c: string) => h[c] as Float64Array;
  const updates: UpdateRecord[] = Array.from(col('loss'), (loss, i) => ({ loss, batchSize: col('batchSize')[i], lr: col('lr')[i], examples: col('examples')[i] }));
  const names = h.metricNames as string[];
  const present = h.metricPresent as Uint8Array;
  const epochs: EpochRecord[] = Array.from(col('epochLoss'), (loss, i) => ({
    loss,
    metrics: Object.fromEntries(names.flatMap((name, j) => (present[i * names.length + j] ? [[name, col('metrics')[i * names.length + j]]] : []))),
  }));
  const numbers = ['updates', 'examples', 'epoch', 'position', 'epochStart', 'epochLoss', 'epochExamples'];
  for (const k of numbers) if (typeof loop[k] !== 'number') throw fail(`its fit state has no '${k}'`);
  if (updates.length !== loop.updates || epochs.length !== loop.epoch) throw fail('its fit history does not match its counters');
  const random = s.random as SamplerStates | undefined;
  if (!random || typeof random.epochs !== 'number') throw fail('its fit state has no sampler state');
  return {
    fingerprint: s.fingerprint as Fingerprint,
    loop: {
      updates: loop.updates, examples: loop.examples, epoch: loop.epoch, position: loop.position, epochStart: loop.epochStart,
      epochLoss: loop.epochLoss, epochExamples: loop.epochExamples, history: { updates, epochs },
    },
    random,
    damper: s.damper,
  };
}

/** A checkpoint continues only the same loop: each difference is an error naming the option. */
export function checkResumable(saved: Fingerprint, now: Fingerprint, source: string): void {
  const say = (name: string, a: unknown, b: unknown) => new RangeError(`${source}: ${name} was ${JSON.stringify(a)} when it was written, this fit has ${JSON.stringify(b)}`);
  if (!saved || typeof saved !== 'object') throw new RangeError(`${source}: its fit state has no fingerprint`);
  if (saved.damper !== now.damper) throw new RangeError(`${source}: it was written by a fit ${saved.damper ? 'with' : 'without'} a damper, this fit runs ${now.damper ? 'with' : 'without'} one`);
  if (saved.datasetLength !== now.datasetLength) throw say('the dataset length', saved.datasetLength, now.datasetLength);
  if (saved.batchSize !== now.batchSize) throw say('batchSize', saved.batchSize, now.batchSize);
  if (saved.seed !== now.seed) throw say('seed', saved.seed, now.seed);
  if (saved.shuffle !== now.shuffle) throw say('shuffle', saved.shuffle, now.shuffle);
}
