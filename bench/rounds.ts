// Interleaved timing: every contestant runs a block of steps in each round (A B C, then B C A, ...), so a
// slow patch of the machine (other jobs on the 2 shared cores) hits all of them alike. The result of a
// contestant is the median (and the minimum) over rounds of its seconds per step; warm-up blocks are not counted.

/** Something that can run `reps` steps and say how long they took, in seconds (measured where it runs). */
export interface Contestant {
  readonly name: string;
  runBlock(reps: number): Promise<number>;
}

export interface RoundOptions {
  /** Rounds to run; the median is over these. */
  rounds: number;
  /** Seconds one block should take; a block has at least one step. */
  blockSeconds: number;
  /** At most this many steps per block (small steps would otherwise run for ages). */
  maxReps?: number;
  /** Warm-up blocks of one step before calibrating. */
  warmup?: number;
  /**
   * Then keep stepping for this many seconds (default 0.5) before calibrating. A fresh process runs its first
   * few hundred onnxruntime steps 4-10x slower (measured: an Adam step over 1e4 parameters took 400-900 us
   * for about 450 runs, then 67 us): every run's outputs are fresh ArrayBuffers, and until V8 starts
   * collecting them for external memory pressure each one is new memory from the system.
   */
  warmupSeconds?: number;
}

export interface Timing {
  /** Median over rounds of seconds per step. */
  secondsPerStep: number;
  /** The fastest round's seconds per step: on a shared machine the steadier figure. */
  minSecondsPerStep: number;
  /** Steps per block. */
  reps: number;
  rounds: number;
  /** Seconds per step of every round, in the order run. */
  samples: number[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median: no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Seconds since an arbitrary origin, at nanosecond resolution. */
export function now(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

/** Times `reps` calls of a synchronous or asynchronous step in this process. */
export async function timeBlock(reps: number, step: () => void | Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) await step();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * Warms up and calibrates each contestant, then runs the rounds, rotating the order every round.
 * A contestant that throws is reported in `failed` and left out of the later rounds.
 */
export async function runRounds(
  contestants: readonly Contestant[],
  options: RoundOptions,
): Promise<{ timings: Map<string, Timing>; failed: Map<string, string> }> {
  const failed = new Map<string, string>();
  const reps = new Map<string, number>();
  const samples = new Map<string, number[]>();
  const maxReps = options.maxReps ?? 10000;
  for (const c of contestants) {
    try {
      for (let i = 0; i < (options.warmup ?? 2); i++) await c.runBlock(1);
      const warmEnd = now() + (options.warmupSeconds ?? 0.5);
      for (let n = 1; now() < warmEnd;) if ((await c.runBlock(n)) < 0.02) n *= 2;
      // Calibrate on a block of a few steps so a single hiccup does not set the block size.
      let estimate = await c.runBlock(1);
      if (estimate < options.blockSeconds / 10) {
        const probe = Math.min(maxReps, Math.max(1, Math.ceil(options.blockSeconds / 10 / Math.max(estimate, 1e-7))));
        estimate = (await c.runBlock(probe)) / probe;
      }
      reps.set(c.name, Math.min(maxReps, Math.max(1, Math.round(options.blockSeconds / Math.max(estimate, 1e-9)))));
      samples.set(c.name, []);
    } catch (e) {
      failed.set(c.name, e instanceof Error ? e.message : String(e));
    }
  }
  for (let round = 0; round < options.rounds; round++) {
    const live = contestants.filter((c) => !failed.has(c.name));
    for (let k = 0; k < live.length; k++) {
      const c = live[(k + round) % live.length];
      const n = reps.get(c.name)!;
      try {
        samples.get(c.name)!.push((await c.runBlock(n)) / n);
      } catch (e) {
        failed.set(c.name, e instanceof Error ? e.message : String(e));
      }
    }
  }
  const timings = new Map<string, Timing>();
  for (const c of contestants) {
    const s = samples.get(c.name);
    if (failed.has(c.name) || !s || s.length === 0) continue;
    timings.set(c.name, { secondsPerStep: median(s), minSecondsPerStep: Math.min(...s), reps: reps.get(c.name)!, rounds: s.length, samples: s });
  }
  return { timings, failed };
}
