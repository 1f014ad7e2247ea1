import { readFileNamed } from '../checkpoint/file';
import { decodeCheckpoint } from '../checkpoint/format';
import type { Dataset } from '../data/dataset';
import type { TrainingSession } from '../session';
import { FitDamper, isDamper } from './damper';
import { Fingerprint, LoopState, checkResumable, fitState, readFitState } from './fit-state';
import { Metric, accuracy } from './metrics';
import { evaluate } from './passes';
import { Sampler as DamperSampler } from '@ortrain/damping';
import { EpochSampler } from './sampler';

export interface FitOptions {
  /** Passes over the dataset (with a damper: n examples seen each). Default 1 unless `updates` is given. */
  epochs?: number;
  /** Stop after this many updates (with `epochs` too: whichever comes first). */
  updates?: number;
  /** Examples per update (default 32); not with a damper, which sets it. */
  batchSize?: number;
  /** Sets the batch size and the lr of every parameter group at each update (@ortrain/damping). */
  damper?: FitDamper;
  /** Shuffle each epoch (default true); a damper always draws its batches at random. */
  shuffle?: boolean;
  /** Seed of the shuffles and draws (default 0). */
  seed?: number;
  /** Evaluated after every epoch: its loss and `metrics` go into the history. */
  evalDataset?: Dataset;
  /** Batch size of the evaluation (default 256). */
  evalBatchSize?: number;
  /** Metrics of the eval dataset by name: a function of a batch's outputs and labels, or 'accuracy'. */
  metrics?: Record<string, Metric | 'accuracy'>;
  /** Called after every update. */
  onStep?: (step: StepInfo) => void | Promise<void>;
  /** Called after every epoch (after its evaluation). */
  onEpoch?: (epoch: EpochInfo) => void | Promise<void>;
  /**
   * Save a checkpoint every `every` updates, and once more when fit returns (done, or stopped by `signal`)
   * unless its last update was just saved: to `path` (Node), or handed to `write` as bytes (browsers, other
   * storage). Without `every`, only that last one is written. It holds the session (parameters, optimizer
   * state), the damper, the sampler and the loop's position and history: `resume` from it continues exactly.
   * The loop's state travels in the session checkpoint's `rngState`, which fit sets before each save.
   */
  checkpoint?: { every?: number; path?: string; write?: (bytes: Uint8Array) => void | Promise<void> };
  /**
   * Stops the loop between updates once `aborted` is true (an AbortSignal, set from a callback or from
   * elsewhere): fit finishes the update under way (its onStep, and its epoch's end if it ended one), writes
   * the checkpoint, and returns the history so far. An aborted signal with `resume` restores the run and
   * returns without training.
   */
  signal?: { readonly aborted: boolean };
  /** A checkpoint written by fit (a path or bytes): the session, damper and loop continue from it. */
  resume?: string | Uint8Array;
}

export interface UpdateRecord {
  /** The batch's loss. */
  loss: number;
  /** Examples in the batch. */
  batchSize: number;
  /** The lr of the first parameter group during the update (every group's, with a damper). */
  lr: number;
  /** Examples seen so far, this update included. */
  examples: number;
}

export interface EpochRecord {
  /** Mean training loss over the epoch's examples. */
  loss: number;
  /** With an eval dataset: its `loss` and every metric; else empty. */
  metrics: Record<string, number>;
}

export interface FitHistory {
  updates: UpdateRecord[];
  epochs: EpochRecord[];
}

export interface StepInfo extends UpdateRecord {
  /** Updates done, this one included. */
  update: number;
  /** The epoch this update belongs to (1-based). */
  epoch: number;
}

export interface EpochInfo extends EpochRecord {
  /** 1-based. */
  epoch: number;
  updates: number;
  examples: number;
}

interface Plan {
  damper?: FitDamper;
  batchSize: number;
  epochs: number;
  updates: number;
  shuffle: boolean;
  seed: number;
  metrics: Record<string, Metric>;
  evalBatchSize: number;
  /** A fixed batch dimension of the model: every batch holds exactly that many examples. */
  fixed?: { size: number; what: string };
}

/**
 * Trains `session` on `dataset`: batch after batch (one trainStep each), epoch after epoch, until `epochs`
 * or `updates` is reached, then returns the history. With a fixed batch size each epoch is a seeded
 * permutation of the dataset cut into batches. With a `damper` each update's batch size and lr come from it,
 * and every batch is drawn afresh from the whole dataset as adadamp draws it (numpy's
 * `RandomState(seed).choice(n, size, replace=False)`, so the same seed gives adadamp's batches): distinct
 * examples within a batch, but with replacement between batches, and an epoch is n examples seen. The loss
 * and the squared gradient norm of each update go back to the damper. Batch sizes may change at every
 * update: the session runs every size with the same graphs. A step skipped for a non-finite loss
 * (nonFinite: 'skip') is left out of the history and counts for nothing.
 */
export async function fit(session: TrainingSession, dataset: Dataset, options: FitOptions = {}): Promise<FitHistory> {
  const plan = checkOptions(session, dataset, options);
  const n = dataset.length;
  const sampler = new EpochSampler(n, plan.seed);
  // With a damper, batches are drawn as adadamp draws them: the same seed gives adadamp's batches.
  const draws = plan.damper ? new DamperSampler({ datasetSize: n, seed: plan.seed }) : undefined;
  const fingerprint: Fingerprint = { datasetLength: n, batchSize: plan.damper ? null : plan.batchSize, damper: !!plan.damper, seed: plan.seed, shuffle: plan.shuffle };
  let state: LoopState = {
    updates: 0, examples: 0, epoch: 0, position: 0, epochStart: sampler.state, epochLoss: 0, epochExamples: 0, history: { updates: [], epochs: [] },
  };
  if (options.resume !== undefined) state = await resume(session, options.resume, plan, fingerprint, sampler, draws);
  const history = state.history;
  // The update count of the last checkpoint written (a resumed run starts from one).
  let savedAt = options.resume !== undefined ? state.updates : -1;

  const groups = session.optimizer.paramGroups as { lr?: number }[];
  const done = () => state.updates >= plan.updates || state.epoch >= plan.epochs;
  // The order of the epoch under way (fixed batch size), drawn from the stream as it stood when the epoch began.
  let order: Uint32Array | undefined;
  let pending: { batchSize: number; lr: number } | undefined;

  const save = async (): Promise<void> => {
    const c = options.checkpoint!;
    session.rngState = fitState(fingerprint, state, { epochs: sampler.state, draws: draws?.stateDict() }, plan.damper?.stateDict());
    if (c.path !== undefined) await session.saveCheckpoint(c.path);
    if (c.write) await c.write(await session.checkpointBytes());
    savedAt = state.updates;
  };

  while (!done() && !options.signal?.aborted) {
    let indices: Uint32Array;
    let lr: number;
    if (plan.damper) {
      pending ??= await nextOf(plan.damper, state.updates);
      for (const g of groups) g.lr = pending.lr;
      lr = pending.lr;
      indices = Uint32Array.from(draws!.sample(pending.batchSize));
    } else {
      if (!order) {
        sampler.state = state.epochStart;
        order = sampler.epochOrder(plan.shuffle);
      }
      const start = state.position * plan.batchSize;
      indices = order.subarray(start, Math.min(start + plan.batchSize, n));
      lr = Number(groups[0].lr);
    }
    const result = await session.trainStep(await dataset.batch(indices), plan.damper ? { gradNorm2: true } : {});
    if (!plan.damper) state.position++;
    if (!result.skipped) {
      if (plan.damper) {
        plan.damper.record({ examples: indices.length, loss: result.loss, ...(result.gradNorm2 !== undefined ? { gradNorm2: result.gradNorm2 } : {}) });
        pending = undefined;
      }
      state.updates++;
      state.examples += indices.length;
      state.epochLoss += result.loss * indices.length;
      state.epochExamples += indices.length;
      const record: UpdateRecord = { loss: result.loss, batchSize: indices.length, lr, examples: state.examples };
      history.updates.push(record);
      await options.onStep?.({ ...record, update: state.updates, epoch: state.epoch + 1 });
    }
    const epochEnded = plan.damper ? state.examples >= (state.epoch + 1) * n : state.position * plan.batchSize >= usable(n, plan);
    if (epochEnded) {
      const metrics = options.evalDataset
        ? await evaluate(session, options.evalDataset, { batchSize: plan.evalBatchSize, metrics: plan.metrics }).then((r) => ({ loss: r.loss, ...r.metrics }))
        : {};
      const record: EpochRecord = { loss: state.epochExamples ? state.epochLoss / state.epochExamples : NaN, metrics };
      history.epochs.push(record);
      state.epoch++;
      state.epochLoss = 0;
      state.epochExamples = 0;
      state.position = 0;
      state.epochStart = sampler.state;
      order = undefined;
      await options.onEpoch?.({ ...record, epoch: state.epoch, updates: state.updates, examples: state.examples });
    }
    const every = options.checkpoint?.every;
    if (every !== undefined && !result.skipped && state.updates % every === 0) await save();
  }
  if (options.checkpoint && savedAt !== state.updates) await save();
  return history;
}

/** Examples an epoch of fixed batches covers: all of them, less the short remainder when the batch dimension is fixed. */
function usable(n: number, plan: Plan): number {
  return plan.fixed ? n - (n % plan.batchSize) : n;
}

async function nextOf(damper: FitDamper, update: number): Promise<{ batchSize: number; lr: number }> {
  const next = await damper.next();
  if (!next || !Number.isInteger(next.batchSize) || next.batchSize < 1) {
    throw new RangeError(`damper: next() gave batch size ${String(next?.batchSize)} at update ${update}; expected a positive integer`);
  }
  if (typeof next.lr !== 'number' || !(next.lr >= 0) || !Number.isFinite(next.lr)) {
    throw new RangeError(`damper: next() gave lr ${String(next.lr)} at update ${update}; expected a finite number >= 0`);
  }
  return next;
}

/** Reads a checkpoint written by fit, checks it against this fit, then restores the session, damper and sampler. */
async function resume(session: TrainingSession, from: string | Uint8Array, plan: Plan, fingerprint: Fingerprint, sampler: EpochSampler,
  draws: DamperSampler | undefined): Promise<LoopState> {
  const bytes = typeof from === 'string' ? await readFileNamed(from, 'resume: checkpoint') : from;
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`resume: expected a checkpoint path or bytes, got ${typeof from}`);
  const source = typeof from === 'string' ? `resume: checkpoint '${from}'` : 'resume: checkpoint bytes';
  const content = decodeCheckpoint(bytes, source) as { rngState?: unknown };
  const saved = readFitState(content?.rngState, source);
  checkResumable(saved.fingerprint, fingerprint, source);
  // Samplers and damper first: if one refuses its state, the session has not changed; if the session then
  // refuses, the damper is put back (the samplers are this fit's own).
  sampler.state = saved.random.epochs;
  if (draws) draws.loadStateDict(saved.random.draws as Parameters<DamperSampler['loadStateDict']>[0]);
  const before = plan.damper?.stateDict();
  if (plan.damper) plan.damper.loadStateDict(saved.damper);
  try {
    await session.loadCheckpoint(bytes);
  } catch (e) {
    if (plan.damper) plan.damper.loadStateDict(before);
    throw e;
  }
  return saved.loop;
}

const KNOWN = ['epochs', 'updates', 'batchSize', 'damper', 'shuffle', 'seed', 'evalDataset', 'evalBatchSize', 'metrics', 'onStep', 'onEpoch', 'checkpoint', 'resume', 'signal'];

function checkOptions(session: TrainingSession, dataset: Dataset, o: FitOptions): Plan {
  if (!session || typeof session.trainStep !== 'function') throw new TypeError('fit: expected a TrainingSession first');
  if (!dataset || typeof dataset.batch !== 'function' || !Number.isInteger(dataset.length)) {
    throw new TypeError('fit: expected a dataset ({ length, batch(indices) }) second');
  }
  if (dataset.length < 1) throw new RangeError('fit: the dataset is empty');
  if (!o || typeof o !== 'object') throw new TypeError(`fit: expected an options object, got ${String(o)}`);
  for (const key of Object.keys(o)) {
    if (!KNOWN.includes(key)) throw new RangeError(`fit: unknown option '${key}' (known: ${KNOWN.join(', ')})`);
  }
  const positiveInt = (name: string, v: unknown) => {
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 1)) throw new RangeError(`${name}: expected a positive integer, got ${String(v)}`);
  };
  positiveInt('epochs', o.epochs);
  positiveInt('updates', o.updates);
  positiveInt('batchSize', o.batchSize);
  positiveInt('evalBatchSize', o.evalBatchSize);
  if (o.seed !== undefined && !(Number.isInteger(o.seed) && o.seed >= 0 && o.seed <= 0xffffffff)) throw new RangeError(`seed: expected an integer in [0, 2^32), got ${String(o.seed)}`);
  if (o.damper !== undefined && !isDamper(o.damper)) throw new TypeError('damper: expected a damper of @ortrain/damping (next, record, stateDict, loadStateDict)');
  if (o.damper && o.batchSize !== undefined) throw new RangeError(`batchSize: ${o.batchSize} cannot be given with a damper, which sets the batch size of every update`);
  if (o.damper && o.shuffle === false) throw new RangeError('shuffle: false cannot be used with a damper, which draws every batch at random as adadamp does');
  const size = (o.damper as { datasetSize?: unknown } | undefined)?.datasetSize;
  if (o.damper && typeof size === 'number' && size !== dataset.length) {
    throw new RangeError(`damper: its datasetSize is ${size}, but the dataset holds ${dataset.length} examples`);
  }
  if (o.damper && session.accumulation.steps > 1) {
    throw new RangeError(`damper: the session accumulates gradients over ${session.accumulation.steps} batches; a damper sets the batch of every update itself, so use gradientAccumulationSteps 1`);
  }
  if (o.evalDataset !== undefined && (typeof o.evalDataset?.batch !== 'function' || !Number.isInteger(o.evalDataset.length))) {
    throw new TypeError('evalDataset: expected a dataset ({ length, batch(indices) })');
  }
  if (o.signal !== undefined && (!o.signal || typeof o.signal.aborted !== 'boolean')) {
    throw new TypeError('signal: expected an AbortSignal (an object with a boolean `aborted`)');
  }
  for (const k of ['onStep', 'onEpoch'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'function') throw new TypeError(`${k}: expected a function, got ${typeof o[k]}`);
  }
  const c = o.checkpoint;
  if (c !== undefined) {
    if (!c || typeof c !== 'object') throw new TypeError('checkpoint: expected { every, path } or { every, write }');
    positiveInt('checkpoint.every', c.every);
    if (c.path === undefined && c.write === undefined) throw new RangeError('checkpoint: give a path or a write function');
    if (c.path !== undefined && (typeof c.path !== 'string' || c.path === '')) throw new TypeError(`checkpoint.path: expected a file path, got ${String(c.path)}`);
    if (c.write !== undefined && typeof c.write !== 'function') throw new TypeError('checkpoint.write: expected a function (bytes) => void');
  }
  const metrics: Record<string, Metric> = {};
  for (const [name, m] of Object.entries(o.metrics ?? {})) {
    if (m === 'accuracy') metrics[name] = accuracy(session.models.loss.output ?? session.models.outputNames[0]);
    else if (typeof m === 'function') metrics[name] = m;
    else throw new RangeError(`metrics.${name}: expected a function (outputs, labels) => number or 'accuracy', got ${JSON.stringify(m)}`);
  }
  if (o.metrics && !o.evalDataset) throw new RangeError('metrics: they are computed on the evalDataset, which is not given');

  const plan: Plan = {
    damper: o.damper,
    batchSize: o.batchSize ?? 32,
    epochs: o.epochs ?? (o.updates !== undefined ? Infinity : 1),
    updates: o.updates ?? Infinity,
    shuffle: o.shuffle ?? true,
    seed: o.seed ?? 0,
    metrics,
    evalBatchSize: o.evalBatchSize ?? 256,
  };
  // A batch dimension fixed in the model: the loop must feed exactly that many examples every time.
  const specs = [...session.models.inputs.map((s) => ({ what: `input '${s.name}'`, shape: s.shape })), { what: 'the labels', shape: session.models.labels.shape }];
  for (const { what, shape } of specs) {
    const d = shape?.[0];
    if (typeof d !== 'number') continue;
    if (o.damper) {
      throw new RangeError(`damper: ${what} of the model has a fixed batch dimension of ${d}; a damper changes the batch size at every update, ` +
        'so the batch dimension must be symbolic (export the model with a dynamic batch axis)');
    }
    if (o.batchSize !== undefined && o.batchSize !== d) throw new RangeError(`batchSize: ${o.batchSize}, but ${what} of the model has a fixed batch dimension of ${d}`);
    if (dataset.length < d) throw new RangeError(`fit: the dataset holds ${dataset.length} examples, fewer than the fixed batch dimension ${d} of ${what}`);
    if (o.evalBatchSize !== undefined && o.evalBatchSize !== d) throw new RangeError(`evalBatchSize: ${o.evalBatchSize}, but ${what} of the model has a fixed batch dimension of ${d}`);
    if (o.evalDataset && o.evalDataset.length % d !== 0) {
      throw new RangeError(`evalDataset: its ${o.evalDataset.length} examples do not fill whole batches of ${d}, the fixed batch dimension of ${what}`);
    }
    plan.batchSize = d;
    plan.evalBatchSize = d;
    plan.fixed = { size: d, what };
  }
  return plan;
}
