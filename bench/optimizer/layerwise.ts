// Issue 7 section 3: the layer-wise optimizers LAMB and LARS, and Adan, beside Adam at Adam's sizes; ns per
// parameter of one step, ortrain on ORT's CPU provider against plain PyTorch implementations of the same
// formulas (torch.optim has none of them), written as a loop over tensors (bench/peers/torch_layerwise.py).
import { join } from 'path';
import { optionalImport } from '../optional-import';
import { PythonPeer } from '../python-peer';
import { Contestant, runRounds, timeBlock, Timing } from '../rounds';
import { fmt, markdownTable, powerOfTen } from '../table';
import { makeProblem, splitSizes } from './problem';

const SCRIPT = join(__dirname, '..', 'peers', 'torch_layerwise.py');
const ALGOS = ['Adam', 'LAMB', 'LARS', 'Adan'] as const;
type Algo = (typeof ALGOS)[number];
/** The options of both sides (the Python peer uses the same values). */
const OPTIONS: Record<Algo, Record<string, unknown>> = {
  Adam: { lr: 1e-3 },
  LAMB: { lr: 1e-3, weightDecay: 0.01 },
  LARS: { lr: 1e-3, momentum: 0.9, weightDecay: 1e-4 },
  Adan: { lr: 1e-3, weightDecay: 0.02 },
};
const ours = (a: Algo) => `ortrain ${a}`;
const theirs = (a: Algo) => `PyTorch ${a}`;

interface Module {
  Parameter: new (name: string, data: Float32Array, shape: number[]) => { grad: Float32Array | null | undefined };
  optimizerFromConfig(params: unknown[], config: { name: string; options: Record<string, unknown> }): { step(): Promise<unknown>; release(): Promise<void> };
}

interface Row { label: string; total: number; tensors: number; timings: Map<string, Timing> }

/** The tables of this part of the optimizer section, as Markdown. */
export async function layerwiseTables(options: { quick: boolean }): Promise<string> {
  const mod = await optionalImport<Module>('@ortrain/optimizers', ['Parameter', 'optimizerFromConfig']);
  if (typeof mod === 'string') return `### Layer-wise optimizers\n\nnot measured: ${mod}`;
  const peer = await PythonPeer.start(SCRIPT);
  if (typeof peer === 'string') console.log(`  PyTorch layer-wise peer: ${peer}`);
  const rows: Row[] = [];
  try {
    for (const total of [1e4, 1e5, 1e6, 1e7]) {
      for (const tensors of [1, 100]) {
        const sizes = tensors === 1 ? [total] : splitSizes(total, tensors);
        const contestants: Contestant[] = [];
        const releases: (() => Promise<void>)[] = [];
        for (const a of ALGOS) {
          const problem = makeProblem(sizes);
          const params = problem.params.map((data, k) => {
            const p = new mod.Parameter(`p${k}`, data, [data.length]);
            p.grad = problem.grads[k];
            return p;
          });
          const opt = mod.optimizerFromConfig(params, { name: a, options: OPTIONS[a] });
          releases.push(() => opt.release());
          contestants.push({ name: ours(a), runBlock: (reps) => timeBlock(reps, async () => { await opt.step(); }) });
        }
        if (typeof peer !== 'string') {
          await peer.request({ cmd: 'setup', sizes, seed: 1 });
          for (const a of ALGOS) {
            contestants.push({
              name: theirs(a),
              runBlock: async (reps) => (await peer.request<{ seconds: number }>({ cmd: 'run', algo: a.toLowerCase(), reps, threads: 1 })).seconds,
            });
          }
        }
        const { timings } = await runRounds(contestants, { rounds: options.quick ? 3 : 21, blockSeconds: options.quick ? 0.02 : 0.1, maxReps: 2000 });
        for (const r of releases) await r();
        if (typeof peer !== 'string') await peer.request({ cmd: 'free' });
        const label = `${powerOfTen(total)}, ${tensors === 1 ? '1 tensor' : '100 tensors'}`;
        rows.push({ label, total, tensors, timings });
        console.log(`  ${label}: ${[...timings].map(([n, t]) => `${n} ${fmt((t.secondsPerStep * 1e9) / total)} ns`).join(', ')}`);
      }
    }
  } finally {
    if (typeof peer !== 'string') await peer.close();
  }
  return render(rows, typeof peer === 'string' ? peer : undefined);
}

function render(rows: Row[], peerAbsent: string | undefined): string {
  const ns = (r: Row, name: string) => {
    const t = r.timings.get(name);
    return t ? fmt((t.secondsPerStep * 1e9) / r.total) : peerAbsent && name.startsWith('PyTorch') ? 'not available' : 'n/a';
  };
  const ratio = (r: Row, a: string, b: string) => {
    const x = r.timings.get(a)?.secondsPerStep, y = r.timings.get(b)?.secondsPerStep;
    return x !== undefined && y !== undefined ? `${fmt(x / y)}x` : 'n/a';
  };
  const layerwise = ['LAMB', 'LARS', 'Adan'] as const;
  const out: string[] = [];
  out.push('### LAMB, LARS and Adan beside Adam, median ns per parameter (lower is better)');
  out.push('');
  out.push(markdownTable(
    ['N, layout', ...ALGOS.map(ours), ...layerwise.map((a) => `${a} / Adam`), ...ALGOS.map(theirs)],
    rows.map((r) => [r.label, ...ALGOS.map((a) => ns(r, ours(a))), ...layerwise.map((a) => ratio(r, ours(a), ours('Adam'))), ...ALGOS.map((a) => ns(r, theirs(a)))]),
  ));
  out.push('');
  const target = rows.find((r) => r.total === 1e6 && r.tensors === 100);
  const worst = target ? Math.max(...['LAMB', 'LARS'].map((a) => (target.timings.get(ours(a as Algo))?.secondsPerStep ?? NaN) / (target.timings.get(ours('Adam'))?.secondsPerStep ?? NaN))) : NaN;
  out.push(markdownTable(['target (issue 7)', 'measured', 'met'], [[
    'layer-wise (LAMB, LARS) <= 1.5 x Adam at 1e6 parameters over 100 tensors',
    Number.isFinite(worst) ? `${fmt(worst)}x (worst of the two)` : 'n/a',
    Number.isFinite(worst) ? (worst <= 1.5 ? 'yes' : 'NO') : 'not measured',
  ]]));
  out.push('');
  out.push('- torch.optim has no LAMB, LARS or Adan: the PyTorch columns are plain PyTorch implementations of the same');
  out.push('  formulas, a loop over tensors (bench/peers/torch_layerwise.py), on 1 thread; PyTorch Adam is torch.optim.Adam');
  out.push('  with foreach=False (the same loop form). Options: LAMB weightDecay 0.01; LARS momentum 0.9, weightDecay 1e-4;');
  out.push('  Adan weightDecay 0.02; lr 1e-3.');
  if (peerAbsent) out.push(`- PyTorch: ${peerAbsent}`);
  return out.join('\n');
}
