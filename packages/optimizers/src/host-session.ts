import type { Runtime } from '@ortrain/runtime';
import type { Tensor } from 'onnxruntime-common';

/**
 * A session on onnxruntime-node's CPU provider that writes its outputs into buffers the caller gives. An
 * output in fresh memory costs a copy plus new pages every step (at 1e7 floats, ~2 ns per element against
 * 0.3 into reused memory), so large host groups double-buffer through `fetches`.
 */
export interface HostSession {
  /** Runs with every output written into `fetches` (same names as the model's outputs). */
  run(feeds: Record<string, Tensor>, fetches: Record<string, Tensor>): Promise<void>;
  release(): Promise<void>;
}

/** True when `runtime` can make a HostSession: onnxruntime-node on its CPU provider. */
export function hasHostSessions(runtime: Runtime): boolean {
  return runtime.platform === 'node' && runtime.provider === 'cpu';
}

/** `threads`: intra-op threads (0: onnxruntime's default). */
export async function createHostSession(runtime: Runtime, model: Uint8Array, threads = 0): Promise<HostSession> {
  if (!hasHostSessions(runtime)) {
    throw new Error(`createHostSession: needs onnxruntime-node on 'cpu', the runtime is on ${runtime.platform} '${runtime.provider}'`);
  }
  // Pool threads block instead of spinning: a spinning pool took cores from everything else on a busy 2-core
  // machine (Adam at 1e7 in chunks: 12.9 ns per parameter spinning, 7.8 not, 7.4 on one thread).
  const session = await runtime.createSession(model, { allowSpinning: false, ...(threads ? { intraOpNumThreads: threads } : {}) });
  return {
    async run(feeds, fetches) {
      await session.run(feeds, fetches);
    },
    release: () => session.release(),
  };
}
