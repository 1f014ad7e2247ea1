import { encodeModel } from '@ortrain/graph-builder';
import type { Runtime, RuntimeSession } from '@ortrain/runtime';
import type { Algorithm } from './algorithm';
import { buildChunkedModel, buildGroupModel, isFlat } from './compile';
import { HostSession, createHostSession } from './host-session';
import type { HostStep } from './step-plan';

/**
 * A group's compiled sessions, one per graph form (the step's key), created on first use and kept; the ready
 * ones are found without an await on the hot path.
 */
export class GroupSessions<O> {
  private readonly pending = new Map<string, Promise<RuntimeSession>>();
  private readonly ready = new Map<string, RuntimeSession>();
  private readonly hostPending = new Map<string, Promise<HostSession>>();
  private readonly hostReady = new Map<string, HostSession>();

  constructor(private readonly algo: Algorithm<O>, private readonly counters: { sessions: number }) {}

  /** The session of a step's form; `threads`: intra-op threads on the CPU (0: onnxruntime's default). */
  session(runtime: Runtime, options: O, step: HostStep, stateNames: readonly string[], threads: number): RuntimeSession | Promise<RuntimeSession> {
    const key = step.key;
    const ready = this.ready.get(key);
    if (ready) return ready;
    let s = this.pending.get(key);
    if (!s) {
      const model = buildGroupModel(this.algo, options, step.plan, stateNames, isFlat(step.plan));
      this.counters.sessions++;
      // Small groups gain nothing from a thread pool on the CPU, whose threads spin after each run and take
      // cores from everything else (fixed cost of 100 tiny tensors: ~10% less on one thread, 2-core machine);
      // see update-path.ts for larger ones.
      s = runtime.createSession(encodeModel(model), { deviceOutputs: true, ...(threads ? { intraOpNumThreads: threads } : {}) });
      s.then((session) => this.ready.set(key, session), () => this.pending.delete(key));
      this.pending.set(key, s);
    }
    return s;
  }

  /** The HostSession of a step's form run in `chunks` (see buildChunkedModel). */
  hostSession(runtime: Runtime, options: O, step: HostStep, stateNames: readonly string[], chunks: readonly number[], threads: number): HostSession | Promise<HostSession> {
    const key = `${step.key}|chunks ${chunks.join(',')}`;
    const ready = this.hostReady.get(key);
    if (ready) return ready;
    let s = this.hostPending.get(key);
    if (!s) {
      const model = buildChunkedModel(this.algo, options, step.plan.scalarSets[0], stateNames, chunks);
      this.counters.sessions++;
      s = createHostSession(runtime, encodeModel(model), threads);
      s.then((session) => this.hostReady.set(key, session), () => this.hostPending.delete(key));
      this.hostPending.set(key, s);
    }
    return s;
  }

  /** Keys of every session built or being built (diagnostics: which graph forms a group has run). */
  keys(): string[] {
    return [...this.pending.keys(), ...this.hostPending.keys()];
  }

  async release(): Promise<void> {
    const all = [...this.pending.values(), ...this.hostPending.values()];
    this.pending.clear();
    this.ready.clear();
    this.hostPending.clear();
    this.hostReady.clear();
    for (const s of all) await (await s.catch(() => undefined))?.release();
  }
}
