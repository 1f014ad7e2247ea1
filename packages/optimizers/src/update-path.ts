/**
 * How large element-wise groups run on onnxruntime-node's CPU provider: from which size they are split into
 * chunks (each chunk its own chain of nodes over views of the flat buffers, outputs written into spare
 * buffers; see buildChunkedModel), the chunk size, and the threads of their sessions.
 *
 * Defaults, measured on Adam on a shared 2-core machine (minimums of interleaved runs; issue 11 and
 * docs/update-path-applied.md): chunks of 256K elements (1 MB per array, whose intermediates stay in cache
 * and whose output copies the allocator recycles) beat 16K, 64K and 1M at 1e6 and 1e7; chunking pays from
 * two chunks up (1e6: 4.6-5.5 ns per parameter chunked against 8-9.6 unchunked; 1e5: equal, with fewer
 * nodes unchunked); one intra-op thread is as fast or faster than two below about 4M elements there.
 */
export interface UpdatePathOptions {
  /** Elements per chunk of a chunked group (default 262144). */
  chunkSize?: number;
  /** Groups of more than this many elements run in chunks (default two chunks: 2 * chunkSize). */
  chunkAbove?: number;
  /**
   * Intra-op threads of the group sessions on the CPU; 0 for onnxruntime's default (one per core). Default:
   * 1 for groups up to 64K elements, and below 4M elements on machines of up to 2 cores; else 0.
   */
  intraOpNumThreads?: number;
}

export const CHUNK = 1 << 18;
/** Below this many elements a group's sessions run on one thread on small machines. */
export const ONE_THREAD_BELOW = 1 << 22;
/** Up to this many elements a group's sessions run on one thread on any machine (a pool only adds hand-offs). */
export const ONE_THREAD_UP_TO = 1 << 16;

/** The update path's settings, checked, with defaults filled in. */
export interface UpdatePath {
  chunkSize: number;
  chunkAbove: number;
  /** Threads for the sessions of a group of `size` elements (0: onnxruntime's default). */
  threads(size: number): number;
}

function checkCount(algo: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new RangeError(`${algo}: invalid ${name} ${String(v)} (must be an integer >= ${min})`);
  }
  return v;
}

export function updatePath(algo: string, options: UpdatePathOptions, cores = coreCount()): UpdatePath {
  const chunkSize = options.chunkSize === undefined ? CHUNK : checkCount(algo, 'chunkSize', options.chunkSize, 1);
  const chunkAbove = options.chunkAbove === undefined ? 2 * chunkSize : checkCount(algo, 'chunkAbove', options.chunkAbove, 0);
  const fixed = options.intraOpNumThreads === undefined ? undefined : checkCount(algo, 'intraOpNumThreads', options.intraOpNumThreads, 0);
  return {
    chunkSize,
    chunkAbove,
    threads: (size) => fixed ?? (size <= ONE_THREAD_UP_TO || (cores <= 2 && size < ONE_THREAD_BELOW) ? 1 : 0),
  };
}

/**
 * The number of cores JS can see: Node's os.availableParallelism (through process.getBuiltinModule, so that
 * browser bundles import nothing of Node), else navigator.hardwareConcurrency, else 1.
 */
export function coreCount(): number {
  const g = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown }; navigator?: { hardwareConcurrency?: number } };
  const os = g.process?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number; cpus?: () => unknown[] } | undefined;
  const n = os?.availableParallelism?.() ?? os?.cpus?.().length ?? g.navigator?.hardwareConcurrency;
  return typeof n === 'number' && n > 0 ? n : 1;
}
