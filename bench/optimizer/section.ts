// Issue 11 section 4 (and issue 2 before it): an optimizer step in ns per parameter, per size (1e4 to 1e7,
// one tensor and 100 tensors) and per algorithm (bench/optimizer/algorithms.ts), ortrain on ORT's CPU
// provider against torch.optim (foreach off and on, default threads), a plain TypeScript loop (Adam), and
// the memory floor of this machine (a copy-bandwidth probe); then the fixed cost of an Adam step over 100
// tiny tensors. Every figure is the median and the minimum over interleaved rounds.
import { cpus } from 'os';
import { PythonPeer } from '../python-peer';
import { Contestant, runRounds, timeBlock, Timing } from '../rounds';
import { fmt, markdownTable, powerOfTen } from '../table';
import { ALGORITHMS, BenchAlgorithm } from './algorithms';
import { layerwiseTables } from './layerwise';
import { loadOptimizers, ortrainOptimizer } from './ortrain-adam';
import { plainAdam } from './plain-adam';
import { makeProblem, splitSizes } from './problem';
import { TORCH_ADAM_SCRIPT, torchAdam, torchAdamName } from './torch-adam';

export interface SectionOptions {
  quick: boolean;
}

const ORTRAIN = 'ortrain (ORT CPU)';
const TS = 'TypeScript loop';
const THREADS = cpus().length;
const TORCH_OFF = torchAdamName(false, THREADS);
const TORCH_ON = torchAdamName(true, THREADS);
const FLOOR = 'memory floor';
const COLUMNS = [ORTRAIN, TS, TORCH_OFF, TORCH_ON, FLOOR];
const HEADERS = [ORTRAIN, TS, 'PyTorch foreach=False', 'PyTorch foreach=True', 'memory floor (copy probe)'];

interface CaseResult {
  algorithm: BenchAlgorithm;
  label: string;
  total: number;
  tensors: number;
  timings: Map<string, Timing>;
  failed: Map<string, string>;
}

/** Copies N floats with Float32Array.set (8 bytes moved per element); scaled to the algorithm's bytes. */
function copyProbe(n: number, floorBytes: number): Contestant {
  const a = new Float32Array(n).fill(0.5), b = new Float32Array(n);
  const scale = floorBytes / 8;
  // Timed as `scale` copies per step, so its seconds per step read as the floor of one optimizer step.
  return { name: FLOOR, runBlock: async (reps) => scale * (await timeBlock(reps, () => { b.set(a); })) };
}

/** Runs every case and returns the Markdown of the section. */
export async function optimizerSection(options: SectionOptions): Promise<string> {
  const optimizers = await loadOptimizers();
  const peer = await PythonPeer.start(TORCH_ADAM_SCRIPT);
  const absent = new Map<string, string>();
  if (typeof optimizers === 'string') absent.set(ORTRAIN, optimizers);
  if (typeof peer === 'string') for (const name of [TORCH_OFF, TORCH_ON]) absent.set(name, peer);
  for (const [name, why] of absent) console.log(`  ${name}: ${why}`);

  const cases: { algorithm: BenchAlgorithm; label: string; sizes: number[] }[] = [];
  for (const algorithm of ALGORITHMS) {
    for (const total of [1e4, 1e5, 1e6, 1e7]) {
      cases.push({ algorithm, label: `${powerOfTen(total)}, 1 tensor`, sizes: [total] });
      cases.push({ algorithm, label: `${powerOfTen(total)}, 100 tensors`, sizes: splitSizes(total, 100) });
    }
  }
  cases.push({ algorithm: ALGORITHMS[0], label: 'fixed cost: 100 x 4', sizes: splitSizes(400, 100) });

  const results: CaseResult[] = [];
  try {
    for (const c of cases) {
      const contestants: Contestant[] = [];
      const setupFailed = new Map<string, string>();
      const attempt = async (name: string, make: () => Promise<Contestant[]> | Contestant[]): Promise<void> => {
        try {
          contestants.push(...(await make()));
        } catch (e) {
          setupFailed.set(name, e instanceof Error ? e.message : String(e));
        }
      };
      const { algorithm: a } = c;
      const total = c.sizes.reduce((x, y) => x + y, 0);
      // The case's optimizer is released after its rounds: at 1e7 each one holds several 40 MB buffers and
      // its sessions' arenas, which would otherwise stay with every later case.
      const cleanups: (() => Promise<void>)[] = [];
      if (typeof optimizers !== 'string') {
        await attempt(ORTRAIN, () => {
          const o = ortrainOptimizer(optimizers, a.ortrain.className, a.ortrain.options, makeProblem(c.sizes));
          cleanups.push(o.release);
          return [o];
        });
      }
      if (a.plainLoop) await attempt(TS, () => [plainAdam(makeProblem(c.sizes))]);
      if (typeof peer !== 'string' && a.torch) await attempt('PyTorch', () => torchAdam(peer, c.sizes, [THREADS], a.torch));
      if (!isFixedCost(c.label)) contestants.push(copyProbe(total, a.floorBytes));
      const { timings, failed } = await runRounds(contestants, {
        rounds: options.quick ? 3 : 21,
        blockSeconds: options.quick ? 0.02 : 0.03,
        maxReps: 2000,
      });
      for (const [k, v] of setupFailed) failed.set(k, v);
      for (const cleanup of cleanups) await cleanup();
      if (typeof peer !== 'string') await peer.request({ cmd: 'free' });
      results.push({ algorithm: a, label: c.label, total, tensors: c.sizes.length, timings, failed });
      console.log(`  ${a.label} ${c.label}: ${COLUMNS.map((n) => `${n} ${cellOf(timings.get(n), total, c.label)}`).join(', ')}`);
      for (const [name, why] of failed) console.log(`    ${name} failed: ${why}`);
    }
  } finally {
    if (typeof peer !== 'string') await peer.close();
  }
  const table = render(results, absent, typeof peer === 'string' ? undefined : `torch ${peer.hello.torch}, ${peer.hello.threads} threads (its default here)`);
  return `${table}\n\n${await layerwiseTables(options)}`;
}

function isFixedCost(label: string): boolean {
  return label.startsWith('fixed');
}

/** "median / min", in ns per parameter (or us per step for the fixed cost). */
function cellOf(t: Timing | undefined, total: number, label: string): string {
  if (!t) return 'n/a';
  const scale = (s: number) => (isFixedCost(label) ? s * 1e6 : (s * 1e9) / total);
  return `${fmt(scale(t.secondsPerStep))} / ${fmt(scale(t.minSecondsPerStep))}`;
}

/** PyTorch's faster variant, by median and by minimum. */
function torchBest(r: CaseResult): { median?: number; min?: number } {
  const ts = [TORCH_OFF, TORCH_ON].map((n) => r.timings.get(n)).filter((x): x is Timing => x !== undefined);
  if (!ts.length) return {};
  return { median: Math.min(...ts.map((t) => t.secondsPerStep)), min: Math.min(...ts.map((t) => t.minSecondsPerStep)) };
}

function ratios(r: CaseResult): { median?: number; min?: number } {
  const o = r.timings.get(ORTRAIN), p = torchBest(r);
  if (!o || p.median === undefined || p.min === undefined) return {};
  return { median: o.secondsPerStep / p.median, min: o.minSecondsPerStep / p.min };
}

function render(results: CaseResult[], absent: Map<string, string>, torchNote: string | undefined): string {
  const perParam = results.filter((r) => !isFixedCost(r.label));
  const fixed = results.filter((r) => isFixedCost(r.label));
  const cell = (r: CaseResult, name: string): string => {
    const t = r.timings.get(name);
    if (t) return cellOf(t, r.total, r.label);
    if (name === TS && !r.algorithm.plainLoop) return '-';
    if (absent.has(name)) return 'not available';
    if ((name === TORCH_OFF || name === TORCH_ON) && !r.algorithm.torch) return 'no peer';
    return r.failed.has(name) ? 'failed' : 'n/a';
  };
  const ratioCell = (r: CaseResult): string => {
    const q = ratios(r);
    return q.median !== undefined && q.min !== undefined ? `${fmt(q.median)}x / ${fmt(q.min)}x` : 'n/a';
  };
  const out: string[] = [];
  out.push('### Optimizer step: ns per parameter, median / minimum over rounds (lower is better)');
  out.push('');
  out.push(markdownTable(['algorithm', 'N, layout', ...HEADERS, 'ortrain / PyTorch best'],
    perParam.map((r) => [r.algorithm.label, r.label, ...COLUMNS.map((n) => cell(r, n)), ratioCell(r)])));
  out.push('');
  out.push('### Fixed cost: one Adam step over 100 tensors of 4 elements, microseconds per step, median / minimum');
  out.push('');
  out.push(markdownTable(['case', ...HEADERS.slice(0, 4), 'ortrain / PyTorch best'], fixed.map((r) => [r.label, ...COLUMNS.slice(0, 4).map((n) => cell(r, n)), ratioCell(r)])));
  out.push('');
  out.push('### Targets (issue 11), judged on the minimum');
  out.push('');
  out.push(markdownTable(['target', 'measured (median / min)', 'met'], targets(results)));
  const notes: string[] = [];
  for (const [name, why] of absent) notes.push(`- ${name}: ${why}`);
  for (const r of results) for (const [name, why] of r.failed) notes.push(`- ${r.algorithm.label} ${r.label}, ${name} failed: ${why}`);
  if (torchNote) notes.push(`- PyTorch: ${torchNote}; its times are taken in its own process (no IPC in them). "PyTorch best" is the faster of foreach off and on.`);
  notes.push('- Memory floor: Float32Array.set of N floats (8 bytes moved per element), scaled to the bytes one step must move (Adam, AdamW: 28 per parameter; SGD with momentum: 20).');
  out.push('', ...notes);
  return out.join('\n');
}

function targets(results: CaseResult[]): string[][] {
  const rows: string[][] = [];
  const verdict = (ok: boolean | undefined): string => (ok === undefined ? 'not measured' : ok ? 'yes' : 'NO');
  const adam = results.filter((r) => r.algorithm === ALGORITHMS[0] && !isFixedCost(r.label));
  for (const r of adam) {
    const q = ratios(r);
    const limit = r.total >= 1e6 ? 1.5 : 1;
    const measured = q.median !== undefined && q.min !== undefined ? `${fmt(q.median)}x / ${fmt(q.min)}x` : 'n/a';
    rows.push([`Adam ${r.label}: ortrain ${limit === 1 ? '<' : '<= 1.5 x'} PyTorch best`, measured,
      verdict(q.min !== undefined ? (limit === 1 ? q.min < 1 : q.min <= limit) : undefined)]);
  }
  const f = results.find((r) => isFixedCost(r.label))?.timings.get(ORTRAIN);
  rows.push(['fixed cost, 100 tensors of 4: ortrain <= 58 us', f ? `${fmt(f.secondsPerStep * 1e6)} / ${fmt(f.minSecondsPerStep * 1e6)} us` : 'n/a',
    verdict(f ? f.minSecondsPerStep * 1e6 <= 58 : undefined)]);
  return rows;
}
