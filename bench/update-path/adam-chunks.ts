// Issue 11 section 1: an Adam step as a standalone graph (12 element-wise nodes, the hyperparameters as
// scalar graph inputs, built here with graph-builder so the measurement does not depend on the optimizers
// package's internals), over the flat buffers of a group split into chunks of C elements: each chunk its
// own chain, its outputs written into the caller's buffers (double-buffered, swapped every step). Beside it:
// ortrain's Adam through its public API, and a copy-bandwidth probe for the memory floor (28 bytes per
// parameter: read p, g, m, v; write p, m, v). ns per parameter, median and minimum over interleaved rounds.
// Run: npx tsx bench/update-path/adam-chunks.ts [--quick] [--sizes 1e5,1e6,1e7] [--threads 1,2]
import { encodeModel, GraphBuilder, Value } from '@ortrain/graph-builder';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { loadOptimizers, ortrainAdam } from '../optimizer/ortrain-adam';
import { makeProblem, splitSizes } from '../optimizer/problem';
import { Contestant, runRounds, timeBlock } from '../rounds';
import { fmt, markdownTable, powerOfTen } from '../table';

const SCALARS = ['b1', 'c1', 'b2', 'c2', 'eps', 'nlr'] as const;

/**
 * One Adam step over `chunks` (sizes), each chunk its own 12-node chain; with `paramOnly` the graph outputs
 * only the new parameters (what the binding's output copies cost: node-costs.ts).
 */
export function adamChunkModel(chunks: readonly number[], o: { paramOnly?: boolean } = {}): Uint8Array {
  const g = new GraphBuilder('adam');
  const s = Object.fromEntries(SCALARS.map((n) => [n, g.input(n, 'float32', [])])) as Record<(typeof SCALARS)[number], Value>;
  chunks.forEach((n, c) => {
    const p = g.input(`p${c}`, 'float32', [n]), gr = g.input(`g${c}`, 'float32', [n]);
    const m = g.input(`m${c}`, 'float32', [n]), v = g.input(`v${c}`, 'float32', [n]);
    const m2 = g.add(g.mul(m, s.b1), g.mul(gr, s.c1));
    const v2 = g.add(g.mul(v, s.b2), g.mul(g.mul(gr, gr), s.c2));
    const p2 = g.add(p, g.mul(g.div(m2, g.add(g.op('Sqrt', [v2]), s.eps)), s.nlr));
    g.output(p2, `p${c}.out`);
    if (o.paramOnly) return;
    g.output(m2, `m${c}.out`);
    g.output(v2, `v${c}.out`);
  });
  return encodeModel(g.build());
}

export function chunkSizes(total: number, chunk: number): number[] {
  const out: number[] = [];
  for (let at = 0; at < total; at += chunk) out.push(Math.min(chunk, total - at));
  return out;
}

/**
 * The chunked Adam graph as a contestant: `threads` intra-op threads, and with `interOp` the chunks' chains
 * run side by side (executionMode 'parallel') on that many inter-op threads.
 */
export async function chunkContestant(name: string, total: number, chunk: number, threads: number, interOp?: number): Promise<Contestant> {
  const chunks = chunkSizes(total, chunk);
  const session = await InferenceSession.create(adamChunkModel(chunks), {
    executionProviders: ['cpu'], intraOpNumThreads: threads,
    ...(interOp ? { executionMode: 'parallel', interOpNumThreads: interOp } : {}),
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
  const io = chunkStepIo(total, chunks);
  const step = async () => {
    const { feeds, fetches } = io.next();
    await session.run(feeds, fetches);
    io.swap();
  };
  return { name, runBlock: (reps) => timeBlock(reps, step) };
}

/**
 * The double-buffered p, m, v of a chunked Adam step over `total` elements and a constant gradient: `next()`
 * gives the feeds and the fetches of a step (views of the buffers, no copy), `swap()` makes its outputs the
 * next step's inputs.
 */
export function chunkStepIo(total: number, chunks: readonly number[]): { next(): { feeds: Record<string, Tensor>; fetches: Record<string, Tensor> }; swap(): void } {
  const buf = () => ({ p: new Float32Array(total).fill(0.5), m: new Float32Array(total), v: new Float32Array(total) });
  let cur = buf(), next = buf();
  const grad = new Float32Array(total).fill(0.01);
  const scalars: Record<string, Tensor> = {};
  for (const [n, x] of Object.entries({ b1: 0.9, c1: 0.1, b2: 0.999, c2: 0.001, eps: 1e-8, nlr: -1e-3 })) scalars[n] = new Tensor('float32', Float32Array.of(x), []);
  return {
    next: () => {
      const feeds: Record<string, Tensor> = { ...scalars };
      const fetches: Record<string, Tensor> = {};
      let at = 0;
      chunks.forEach((n, c) => {
        const view = (a: Float32Array) => new Tensor('float32', a.subarray(at, at + n), [n]);
        feeds[`p${c}`] = view(cur.p); feeds[`g${c}`] = view(grad); feeds[`m${c}`] = view(cur.m); feeds[`v${c}`] = view(cur.v);
        fetches[`p${c}.out`] = view(next.p); fetches[`m${c}.out`] = view(next.m); fetches[`v${c}.out`] = view(next.v);
        at += n;
      });
      return { feeds, fetches };
    },
    swap: () => { [cur, next] = [next, cur]; },
  };
}

/** Float32Array.set of N floats (8 bytes moved per element); x 3.5 is the floor of 28 bytes per parameter. */
function copyProbe(name: string, n: number): Contestant {
  const a = new Float32Array(n).fill(0.5), b = new Float32Array(n);
  return { name, runBlock: (reps) => timeBlock(reps, () => { b.set(a); }) };
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const arg = (k: string) => { const i = process.argv.indexOf(k); return i >= 0 ? process.argv[i + 1].split(',').map(Number) : undefined; };
  const sizes = arg('--sizes') ?? [1e5, 1e6, 1e7];
  const threads = arg('--threads') ?? [1, 2];
  const chunkChoices = [1 << 14, 1 << 16, 1 << 18, 1 << 20];
  const optimizers = await loadOptimizers();
  const rows: string[][] = [];
  for (const total of sizes) {
    const contestants: Contestant[] = [copyProbe('copy probe x 3.5 (memory floor)', total)];
    for (const t of threads) {
      contestants.push(await chunkContestant(`graph, unchunked, ${t} thr`, total, total, t));
      for (const c of chunkChoices) if (c < total) contestants.push(await chunkContestant(`graph, chunks of ${c >> 10}K, ${t} thr`, total, c, t));
    }
    if (typeof optimizers !== 'string') {
      contestants.push({ ...ortrainAdam(optimizers, makeProblem([total])), name: 'ortrain Adam opt.step(), 1 tensor' });
      contestants.push({ ...ortrainAdam(optimizers, makeProblem(splitSizes(total, 100))), name: 'ortrain Adam opt.step(), 100 tensors' });
    }
    const { timings } = await runRounds(contestants, { rounds: quick ? 5 : 11, blockSeconds: 0.03, maxReps: 500 });
    for (const c of contestants) {
      const t = timings.get(c.name);
      const k = c.name.startsWith('copy') ? 3.5 : 1;
      const per = (s: number | undefined) => (s === undefined ? 'n/a' : fmt((s * 1e9 * k) / total));
      rows.push([powerOfTen(total), c.name, per(t?.secondsPerStep), per(t?.minSecondsPerStep)]);
    }
    console.log(`  ${powerOfTen(total)} done`);
  }
  console.log(markdownTable(['N', 'contestant', 'median ns/param', 'min ns/param'], rows));
}

if (require.main === module) main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
