// Issue 8: the training step of the fixtures' mlp and lenet with SAM(Adam) and Lookahead(Adam) beside plain
// Adam, ortrain's TrainingSession on the CPU provider against the same steps in plain PyTorch
// (bench/peers/torch_wrappers.py: quadra-style SAM, holocron-style Lookahead).
import { cpus } from 'os';
import { join } from 'path';
import { torchThreads } from '../optimizer/torch-adam';
import { optionalImport } from '../optional-import';
import { PythonPeer } from '../python-peer';
import { Contestant, median, runRounds, Timing } from '../rounds';
import { fmt, markdownTable } from '../table';
import { BATCH, BATCHES, Batch, makeBatches, ModelName } from './batches';
import { ortrainTraining } from './ortrain-training';
import type { Parameter } from '@ortrain/optimizers';

const VARIANTS = ['adam', 'sam', 'lookahead'] as const;
type Variant = (typeof VARIANTS)[number];
const LABEL: Record<Variant, string> = { adam: 'Adam', sam: 'SAM(Adam)', lookahead: 'Lookahead(Adam)' };
const SCRIPT = join(__dirname, '..', 'peers', 'torch_wrappers.py');
const THREADS = torchThreads(cpus().length);
const ours = (v: Variant) => `ortrain ${LABEL[v]}`;
const theirs = (v: Variant, threads: number) => `PyTorch ${LABEL[v]}, ${threads} thr`;

interface Modules {
  trainer: typeof import('@ortrain/trainer');
  optimizers: typeof import('@ortrain/optimizers');
  wrappers: typeof import('@ortrain/wrappers');
}

async function load(): Promise<Modules | string> {
  const trainer = await optionalImport<Modules['trainer']>('@ortrain/trainer', ['TrainingSession']);
  if (typeof trainer === 'string') return trainer;
  const optimizers = await optionalImport<Modules['optimizers']>('@ortrain/optimizers', ['Adam']);
  if (typeof optimizers === 'string') return optimizers;
  const wrappers = await optionalImport<Modules['wrappers']>('@ortrain/wrappers', ['SAM', 'Lookahead']);
  if (typeof wrappers === 'string') return wrappers;
  return { trainer, optimizers, wrappers };
}

async function ortrain(m: Modules, model: ModelName, variant: Variant, batches: Batch[]): Promise<Contestant & { release(): Promise<void> }> {
  const { Adam } = m.optimizers;
  const { SAM, Lookahead } = m.wrappers;
  const optimizer = (ps: Parameter[]) => variant === 'sam' ? new SAM(ps, Adam, { rho: 0.05, adaptive: false, lr: 1e-3 })
    : variant === 'lookahead' ? new Lookahead(new Adam(ps, { lr: 1e-3 }), { syncRate: 0.5, syncPeriod: 6 })
      : new Adam(ps, { lr: 1e-3 });
  return ortrainTraining(m as unknown as Parameters<typeof ortrainTraining>[0], model, batches,
    { name: ours(variant), optimizer: optimizer as unknown as (params: never[]) => unknown });
}

interface ModelResult { model: ModelName; timings: Map<string, Timing>; failed: Map<string, string> }

export async function wrappersSection(options: { quick: boolean }): Promise<string> {
  const mods = await load();
  const peer = await PythonPeer.start(SCRIPT);
  const absent: string[] = [];
  if (typeof mods === 'string') absent.push(`ortrain: ${mods}`);
  if (typeof peer === 'string') absent.push(`PyTorch: ${peer}`);
  for (const a of absent) console.log(`  ${a}`);
  const results: ModelResult[] = [];
  try {
    for (const model of ['mlp', 'lenet'] as ModelName[]) {
      const batches = makeBatches(model);
      const contestants: Contestant[] = [];
      const releases: (() => Promise<void>)[] = [];
      const failed = new Map<string, string>();
      for (const v of VARIANTS) {
        if (typeof mods !== 'string') {
          try {
            const c = await ortrain(mods, model, v, batches);
            contestants.push(c);
            releases.push(() => c.release());
          } catch (e) {
            failed.set(ours(v), e instanceof Error ? e.message.split('\n')[0] : String(e));
          }
        }
        if (typeof peer !== 'string') {
          try {
            await peer.request({ cmd: 'setup', model, variant: v, batch: BATCH, batches: BATCHES, seed: 0 });
            for (const t of THREADS) {
              contestants.push({ name: theirs(v, t), runBlock: async (reps) => (await peer.request<{ seconds: number }>({ cmd: 'run', model, variant: v, reps, threads: t })).seconds });
            }
          } catch (e) {
            failed.set(`PyTorch ${LABEL[v]}`, e instanceof Error ? e.message.split('\n')[0] : String(e));
          }
        }
      }
      // Every Lookahead block spans whole sync periods, so its median holds the sync's share.
      const run = await runRounds(contestants, { rounds: options.quick ? 3 : 11, blockSeconds: options.quick ? 0.1 : 0.25, warmup: 6 });
      for (const [k, v] of run.failed) failed.set(k, v);
      for (const r of releases) await r();
      if (typeof peer !== 'string') await peer.request({ cmd: 'free' });
      results.push({ model, timings: run.timings, failed });
      console.log(`  ${model}: ${[...run.timings].map(([n, t]) => `${n} ${fmt(t.secondsPerStep * 1e6)} us`).join(', ')}`);
    }
  } finally {
    if (typeof peer !== 'string') await peer.close();
  }
  return render(results, absent, typeof peer === 'string' ? undefined : `torch ${peer.hello.torch}`);
}

function render(results: ModelResult[], absent: string[], torchNote: string | undefined): string {
  const us = (r: ModelResult, name: string) => r.timings.get(name)?.secondsPerStep;
  const bestTorch = (r: ModelResult, v: Variant) => {
    const ts = THREADS.map((t) => us(r, theirs(v, t))).filter((x): x is number => x !== undefined);
    return ts.length ? Math.min(...ts) : undefined;
  };
  const cell = (x: number | undefined) => (x === undefined ? 'n/a' : fmt(x * 1e6));
  /** Median over rounds of a's time over b's in the same round: a slow patch of the shared cores hits both. */
  const paired = (r: ModelResult, a: string, b: string) => {
    const sa = r.timings.get(a)?.samples;
    const sb = r.timings.get(b)?.samples;
    return sa && sb && sa.length === sb.length ? median(sa.map((x, i) => x / sb[i])) : undefined;
  };
  const x = (v: number | undefined) => (v === undefined ? 'n/a' : `${fmt(v)}x`);
  const out: string[] = [];
  out.push(`### Training step with wrappers, batch ${BATCH}: microseconds per step (lower is better)`, '');
  out.push(markdownTable(['model', ...VARIANTS.map((v) => ours(v)), ...VARIANTS.map((v) => `PyTorch ${LABEL[v]} (best)`)],
    results.map((r) => [r.model, ...VARIANTS.map((v) => cell(us(r, ours(v)))), ...VARIANTS.map((v) => cell(bestTorch(r, v)))])));
  out.push('', '### Targets (issue 8)', '');
  const rows: string[][] = [];
  const verdict = (v: number | undefined, ok: (v: number) => boolean) => (v === undefined ? 'not measured' : ok(v) ? 'yes' : 'NO');
  for (const r of results) {
    const sam = paired(r, ours('sam'), ours('adam'));
    const la = paired(r, ours('lookahead'), ours('adam'));
    rows.push([`${r.model}: SAM(Adam) step <= 2.2 x Adam step`, x(sam), verdict(sam, (v) => v <= 2.2)]);
    rows.push([`${r.model}: Lookahead(Adam) step <= 1.1 x Adam step`, x(la), verdict(la, (v) => v <= 1.1)]);
    for (const v of ['sam', 'lookahead'] as const) {
      const fastest = THREADS.map((t) => theirs(v, t)).filter((n) => r.timings.has(n)).sort((m, n) => us(r, m)! - us(r, n)!)[0];
      const speedup = fastest ? paired(r, fastest, ours(v)) : undefined;
      rows.push([`${r.model}: ortrain ${LABEL[v]} ahead of PyTorch's (best thread count)`, x(speedup), verdict(speedup, (s) => s > 1)]);
    }
  }
  out.push(markdownTable(['target', 'measured', 'met'], rows));
  const notes = absent.map((a) => `- ${a}`);
  for (const r of results) for (const [name, why] of r.failed) notes.push(`- ${r.model}, ${name} failed: ${why}`);
  notes.push('- Ratios to the Adam step are medians over rounds of the two times in the same round.');
  notes.push('- A step is forward, mean cross-entropy, backward and the update on one batch, the loss read back; 8 random batches cycled. SAM: rho 0.05, two forward/backward passes in one ortrain run; Lookahead: sync rate 0.5 every 6 steps (ortrain runs a sync step\'s graph with the sync appended).');
  if (torchNote) notes.push(`- PyTorch: ${torchNote}, eager, on ${THREADS.join(' and ')} thread(s), the best shown; SAM and Lookahead written in plain PyTorch (bench/peers/torch_wrappers.py).`);
  out.push('', ...notes);
  return out.join('\n');
}
