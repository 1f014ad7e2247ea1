import type { Runtime } from '@ortrain/runtime';
import type { InferenceSession, Tensor } from 'onnxruntime-common';

/**
 * A session on onnxruntime-node's CPU provider that writes its outputs into buffers the caller gives
 * (`run(feeds, fetches)`). RuntimeSession.run takes feeds only, and an output in fresh memory costs a copy
 * plus new pages every step (at 1e7 floats, ~2 ns per element against 0.3 into reused memory), so large
 * host groups run on a session of their own made from the runtime's onnxruntime module (`runtime.ort`).
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

export async function createHostSession(runtime: Runtime, model: Uint8Array): Promise<HostSession> {
  if (!hasHostSessions(runtime)) {
    throw new Error(`createHostSession: needs onnxruntime-node on 'cpu', the runtime is on ${runtime.platform} '${runtime.provider}'`);
  }
  const session: InferenceSession = await runtime.ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    // Threads that wait for work block instead of spinning: a spinning pool took cores from everything else
    // on a busy 2-core machine (Adam at 1e7 in chunks: 12.9 ns per parameter spinning, 7.8 not, 7.4 on one
    // thread), and blocking keeps the pool's speed-up where cores are free.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  return {
    async run(feeds, fetches) {
      const out = await session.run(feeds, fetches);
      // onnxruntime-node writes into the fetched tensors' memory; should a build hand back other memory
      // instead, its values are copied in, so callers can rely on `fetches` either way.
      for (const name in fetches) {
        const want = fetches[name].data as Float32Array;
        const got = out[name].data as Float32Array;
        if (got.buffer !== want.buffer || got.byteOffset !== want.byteOffset) want.set(got);
      }
    },
    release: () => session.release(),
  };
}
