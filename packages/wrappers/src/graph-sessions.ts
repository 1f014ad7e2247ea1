import { ModelProto, encodeModel } from '@ortrain/graph-builder';
import type { Runtime, RuntimeSession } from '@ortrain/runtime';
import type { Tensor } from 'onnxruntime-common';

/**
 * The standalone graphs of a wrapper (SAM's perturbation and restore, the sync), one session per form,
 * made on first use. Outputs come back to the host: the parameters they produce are assigned to `p.data`.
 */
export class GraphSessions {
  private readonly sessions = new Map<string, Promise<RuntimeSession>>();

  async run(runtime: Runtime, key: string, build: () => ModelProto, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    let s = this.sessions.get(key);
    if (!s) {
      // Small graphs gain nothing from a thread pool (see the optimizers' group sessions).
      s = runtime.createSession(encodeModel(build()), runtime.provider === 'cpu' ? { intraOpNumThreads: 1 } : {});
      s.catch(() => this.sessions.delete(key));
      this.sessions.set(key, s);
    }
    const session = await s;
    const picked: Record<string, Tensor> = {};
    for (const n of session.inputNames) picked[n] = feeds[n];
    return session.run(picked);
  }

  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s.catch(() => undefined))?.release();
  }
}

/** Host values of an output tensor (copied: the session's output memory is not ours to keep). */
export function values(t: Tensor): Float32Array {
  return Float32Array.from(t.data as Float32Array);
}
