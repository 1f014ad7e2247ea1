import type { OptimizerConfig } from '@ortrain/wrappers';
import { CheckpointError } from '../checkpoint/format';
import type { TrainableParam } from './training-graphs';
import type { RunningStat } from './train-mode';

/** Everything a checkpoint restores: see `checkpointContent` for how it is laid out in the file. */
export interface SessionState {
  params: Map<string, Float32Array>;
  /** The algorithm ('Adam', under wrappers 'Lookahead(SAM(Adam))'), a wrapper's config, the state dict. */
  optimizer: { algorithm: string; config?: OptimizerConfig; stateDict: unknown };
  counters: { step: number; skippedSteps: number; microStep: number };
  /** Gradient sums of a cycle in progress (empty when microStep is 0). */
  accumulators: Map<string, Float32Array>;
  /** Running statistics of BatchNormalization in training mode (absent in checkpoints of other sessions). */
  stats?: Map<string, Float32Array>;
  /** State of the Dropout mask generator. */
  dropoutState?: number;
  rngState?: unknown;
  sampler?: unknown;
}

export const SESSION_CHECKPOINT_KIND = 'ortrain.training-session';

/**
 * The checkpoint content of a session (encodeCheckpoint writes it): `kind`; `params` and `accumulators` as
 * { name: Float32Array }; `optimizer` as { algorithm, config (a wrapper's), stateDict } (the optimizer's own stateDict, torch's
 * layout, its state arrays stored as float32 tensors); `counters` { step, skippedSteps, microStep };
 * `rngState` and `sampler` as the caller gave them.
 */
export function checkpointContent(s: SessionState): Record<string, unknown> {
  return {
    kind: SESSION_CHECKPOINT_KIND,
    params: Object.fromEntries(s.params),
    optimizer: { algorithm: s.optimizer.algorithm, ...(s.optimizer.config ? { config: s.optimizer.config } : {}), stateDict: packArrays(s.optimizer.stateDict) },
    counters: s.counters,
    accumulators: Object.fromEntries(s.accumulators),
    stats: s.stats && s.stats.size ? Object.fromEntries(s.stats) : undefined,
    dropoutState: s.dropoutState,
    rngState: s.rngState,
    sampler: s.sampler,
  };
}

/**
 * Reads and checks checkpoint content against the session's parameters and optimizer; throws a
 * CheckpointError naming `source` and what does not fit. Changes nothing.
 */
export function readSessionState(content: unknown, source: string, params: readonly TrainableParam[], algorithm: string,
  stats: readonly RunningStat[] = []): SessionState {
  const fail = (why: string) => new CheckpointError(`${source}: ${why}`);
  const c = content as Record<string, unknown>;
  if (!c || typeof c !== 'object' || c.kind !== SESSION_CHECKPOINT_KIND) {
    throw fail(`not a training session checkpoint (kind ${JSON.stringify(c?.kind)}, expected '${SESSION_CHECKPOINT_KIND}')`);
  }
  const saved = c.params as Record<string, unknown>;
  if (!saved || typeof saved !== 'object') throw fail('has no parameters');
  const names = new Set(params.map((p) => p.name));
  for (const n of Object.keys(saved)) if (!names.has(n)) throw fail(`holds parameter '${n}', which this session does not train`);
  const values = new Map<string, Float32Array>();
  for (const p of params) {
    const v = saved[p.name];
    if (!(v instanceof Float32Array)) throw fail(`parameter '${p.name}' is missing`);
    if (v.length !== p.initial.length) throw fail(`parameter '${p.name}' has ${v.length} values, the model's has ${p.initial.length} (shape [${p.dims.join(', ')}])`);
    values.set(p.name, v);
  }
  const opt = c.optimizer as { algorithm?: unknown; config?: OptimizerConfig; stateDict?: unknown } | undefined;
  if (!opt || typeof opt !== 'object' || typeof opt.algorithm !== 'string') throw fail('has no optimizer state');
  if (opt.algorithm !== algorithm) throw fail(`holds the state of the ${opt.algorithm} optimizer, the session's is ${algorithm}`);
  const counters = c.counters as Record<string, unknown> | undefined;
  const count = (k: string) => {
    const v = counters?.[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw fail(`counter '${k}' must be a non-negative integer, got ${String(v)}`);
    return v;
  };
  const state: SessionState = {
    params: values,
    optimizer: { algorithm: opt.algorithm, ...(opt.config ? { config: opt.config } : {}), stateDict: unpackArrays(opt.stateDict) },
    counters: { step: count('step'), skippedSteps: count('skippedSteps'), microStep: count('microStep') },
    accumulators: new Map(),
    rngState: c.rngState,
    sampler: c.sampler,
  };
  // A checkpoint saved in eval mode (or before running statistics were saved) leaves them as they are.
  const savedStats = c.stats as Record<string, unknown> | undefined;
  if (savedStats !== undefined) {
    if (!savedStats || typeof savedStats !== 'object') throw fail('running statistics are not a map of tensors');
    const known = new Map(stats.map((s) => [s.name, s]));
    state.stats = new Map();
    for (const [n, v] of Object.entries(savedStats)) {
      const s = known.get(n);
      if (!s) throw fail(`holds running statistic '${n}', which this session does not update (is it in mode 'eval'?)`);
      if (!(v instanceof Float32Array) || v.length !== s.initial.length) throw fail(`running statistic '${n}' must be ${s.initial.length} float32 values`);
      state.stats.set(n, v);
    }
  }
  const dropout = c.dropoutState;
  if (dropout !== undefined) {
    if (typeof dropout !== 'number' || !Number.isInteger(dropout) || dropout < 0 || dropout > 0xffffffff) throw fail(`dropout generator state must be a 32-bit unsigned integer, got ${String(dropout)}`);
    state.dropoutState = dropout;
  }
  if (state.counters.microStep > 0) {
    const acc = (c.accumulators ?? {}) as Record<string, unknown>;
    for (const p of params) {
      const v = acc[p.name];
      if (!(v instanceof Float32Array) || v.length !== p.initial.length) throw fail(`the gradient accumulator of '${p.name}' is missing or of the wrong size`);
      state.accumulators.set(p.name, v);
    }
  }
  return state;
}

/**
 * The optimizer's stateDict holds its state tensors as Float32Array (as torch's holds tensors): they are
 * stored as they are, with no pass over their elements, and come back as Float32Array (views of the file's
 * bytes when loading a file), which loadStateDict copies. Plain number arrays (the groups' parameter
 * indices; the state arrays of checkpoints written before stateDict gave typed arrays) are stored as
 * tensors ({ $float32: Float32Array }) when float32 holds every element exactly, which keeps the header
 * small and the values bit-exact; unpackArrays gives them back as the plain arrays they were.
 */
function packArrays(x: unknown): unknown {
  if (Array.isArray(x)) return (x.length >= 16 && asFloat32(x)) || x.map(packArrays);
  if (x && typeof x === 'object' && !ArrayBuffer.isView(x)) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, packArrays(v)]));
  return x;
}

/** The array as { $float32 } when every element is a number that float32 holds exactly; one pass, plain loops. */
function asFloat32(x: unknown[]): { $float32: Float32Array } | undefined {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (typeof v !== 'number') return undefined;
    out[i] = v;
    // NaN never equals itself; float32 holds it, so it passes on the second test.
    if (out[i] !== v && !(v !== v)) return undefined;
  }
  return { $float32: out };
}

function unpackArrays(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(unpackArrays);
  if (x && typeof x === 'object' && !ArrayBuffer.isView(x)) {
    const o = x as Record<string, unknown>;
    if (o.$float32 instanceof Float32Array && Object.keys(o).length === 1) return toNumbers(o.$float32);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, unpackArrays(v)]));
  }
  return x;
}

/** A plain array of the values: a preallocated loop, about twice as fast as Array.from over a typed array. */
function toNumbers(a: Float32Array): number[] {
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i];
  return out;
}
