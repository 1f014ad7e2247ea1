// Issue 11: Adam below and around the cache size (1e4 to 1e6 parameters in one tensor), where PyTorch's
// eight in-place passes beat our 12-node chain. Which ONNX Runtime setting is fastest: one thread or two,
// one chain or chunks, chunks in sequence or run side by side (executionMode 'parallel', one chain per
// inter-op thread)? ns per parameter, min / median over interleaved rounds, outputs into caller buffers.
// Run: npx tsx bench/update-path/in-cache.ts [--sizes 1e4,1e5,1e6] [--chunks 65536,262144] [--no-parallel] [--quick]
import { Contestant, runRounds } from '../rounds';
import { fmt, markdownTable, powerOfTen } from '../table';
import { loadOptimizers, ortrainAdam } from '../optimizer/ortrain-adam';
import { makeProblem, splitSizes } from '../optimizer/problem';
import { chunkContestant, chunkSizes } from './adam-chunks';

interface Form { chunk: number; intra: number; inter?: number }

function contestant(total: number, f: Form): Promise<Contestant> {
  const count = chunkSizes(total, f.chunk).length;
  const name = `${count === 1 ? 'one chain' : `${count} chunks of ${f.chunk}`}, intra ${f.intra}${f.inter ? `, parallel inter ${f.inter}` : ''}`;
  return chunkContestant(name, total, f.chunk, f.intra, f.inter);
}

async function main(): Promise<void> {
  const arg = (k: string) => { const i = process.argv.indexOf(k); return i >= 0 ? process.argv[i + 1].split(',').map(Number) : undefined; };
  const sizes = arg('--sizes') ?? [1e4, 1e5, 1e6];
  const rows: string[][] = [];
  for (const total of sizes) {
    const parallel = !process.argv.includes('--no-parallel');
    const forms: Form[] = total > 4e6 ? [] : [{ chunk: total, intra: 1 }, { chunk: total, intra: 2 }];
    for (const c of arg('--chunks') ?? [8192, 16384, 32768, 65536, 131072, 262144]) {
      if (c < total) forms.push({ chunk: c, intra: 1 }, ...(parallel ? [{ chunk: c, intra: 1, inter: 2 }] : []));
    }
    if (total <= 4e6 && parallel) forms.push({ chunk: Math.ceil(total / 2), intra: 1, inter: 2 });
    const cs: Contestant[] = [];
    for (const f of forms) cs.push(await contestant(total, f));
    const optimizers = await loadOptimizers();
    if (typeof optimizers !== 'string') {
      cs.push({ ...ortrainAdam(optimizers, makeProblem([total])), name: 'ortrain Adam opt.step(), 1 tensor' });
      cs.push({ ...ortrainAdam(optimizers, makeProblem(splitSizes(total, 100))), name: 'ortrain Adam opt.step(), 100 tensors' });
    }
    const { timings } = await runRounds(cs, { rounds: process.argv.includes('--quick') ? 5 : 11, blockSeconds: 0.03, maxReps: 2000 });
    for (const c of cs) {
      const t = timings.get(c.name)!;
      rows.push([powerOfTen(total), c.name, fmt((t.minSecondsPerStep * 1e9) / total), fmt((t.secondsPerStep * 1e9) / total)]);
    }
  }
  console.log(markdownTable(['N', 'form', 'min ns/param', 'median ns/param'], rows));
}

if (require.main === module) main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
