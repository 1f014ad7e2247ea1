// Issue 11 section 1: where an Adam step's time goes, under ONNX Runtime's profiler: the 12-node Adam graph
// of adam-chunks.ts over N parameters (unchunked, and in chunks of 256K), outputs into the caller's
// buffers or left to onnxruntime. Per run: the kernels' time, ORT's own model_run time, and the wall time
// seen from JS (the rest is the binding: feeds in, outputs back, the async hop). Beside them, ortrain's
// opt.step() over 1 and 100 tensors. Minimum over repetitions (a shared machine; see BENCHMARKS.md).
// Run: npx tsx bench/update-path/profile-step.ts [--sizes 1e5,1e6,1e7]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { InferenceSession } from 'onnxruntime-node';
import { loadOptimizers, ortrainAdam } from '../optimizer/ortrain-adam';
import { makeProblem, splitSizes } from '../optimizer/problem';
import { fmt, markdownTable, powerOfTen } from '../table';
import { adamChunkModel, chunkSizes, chunkStepIo } from './adam-chunks';

interface Event { cat?: string; name?: string; dur?: number; args?: { op_name?: string } }

const REPS = 12;

async function profileGraph(total: number, chunk: number, fetch: boolean, dir: string): Promise<string[]> {
  const chunks = chunkSizes(total, chunk);
  const prefix = join(dir, `p${total}-${chunk}-${fetch}`);
  const session = await InferenceSession.create(adamChunkModel(chunks), {
    executionProviders: ['cpu'], enableProfiling: true, profileFilePrefix: prefix,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const io = chunkStepIo(total, chunks);
  const walls: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const { feeds, fetches } = io.next();
    const t0 = performance.now();
    await (fetch ? session.run(feeds, fetches) : session.run(feeds));
    walls.push((performance.now() - t0) * 1e3);
    io.swap();
  }
  session.endProfiling();
  await session.release();
  const file = readdirSync(dir).map((f) => join(dir, f)).find((f) => f.startsWith(prefix))!;
  const events = JSON.parse(readFileSync(file, 'utf8')) as Event[];
  const runs = events.filter((e) => e.name === 'model_run').map((e) => e.dur!);
  const kernels = events.filter((e) => e.cat === 'Node' && e.name?.endsWith('_kernel_time'));
  // Per run: the sum of its kernels (runs are in order; each run has the same node count).
  const perRun = kernels.length / runs.length;
  const kernelRuns: number[] = [];
  for (let r = 0; r < runs.length; r++) kernelRuns.push(kernels.slice(r * perRun, (r + 1) * perRun).reduce((a, e) => a + e.dur!, 0));
  const byOp = new Map<string, number[]>();
  const best = kernelRuns.indexOf(Math.min(...kernelRuns.slice(1)));
  for (const e of kernels.slice(best * perRun, (best + 1) * perRun)) {
    const op = e.args?.op_name ?? '?';
    byOp.set(op, [...(byOp.get(op) ?? []), e.dur!]);
  }
  const ns = (us: number) => fmt((us * 1e3) / total);
  const ops = [...byOp].map(([op, d]) => `${op} ${d.length}: ${ns(d.reduce((a, b) => a + b, 0))}`).join('; ');
  return [powerOfTen(total), chunk >= total ? 'unchunked' : `${chunk >> 10}K`, fetch ? 'into caller buffers' : 'ORT allocates',
    ns(Math.min(...kernelRuns.slice(1))), ns(Math.min(...runs.slice(1))), ns(Math.min(...walls.slice(1))), ops];
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--sizes');
  const sizes = at >= 0 ? process.argv[at + 1].split(',').map(Number) : [1e5, 1e6, 1e7];
  const dir = mkdtempSync(join(tmpdir(), 'ortrain-profile-'));
  const rows: string[][] = [];
  try {
    for (const total of sizes) {
      for (const chunk of [total, 1 << 18]) {
        if (chunk > total) continue;
        for (const fetch of [false, true]) rows.push(await profileGraph(total, chunk, fetch, dir));
      }
      console.log(`  ${powerOfTen(total)} done`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(markdownTable(['N', 'chunks', 'outputs', 'kernels ns/param', 'ORT model_run', 'wall from JS', 'kernels by op (fastest run), ns/param'], rows));
  const optimizers = await loadOptimizers();
  if (typeof optimizers === 'string') return;
  const steps: string[][] = [];
  for (const total of sizes) {
    for (const tensors of [1, 100]) {
      const c = ortrainAdam(optimizers, makeProblem(tensors === 1 ? [total] : splitSizes(total, tensors)));
      await c.runBlock(2);
      const times: number[] = [];
      for (let r = 0; r < REPS; r++) times.push(await c.runBlock(1));
      steps.push([powerOfTen(total), String(tensors), fmt((Math.min(...times) * 1e9) / total)]);
    }
  }
  console.log(markdownTable(['N', 'tensors', 'ortrain opt.step() ns/param (min)'], steps));
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
