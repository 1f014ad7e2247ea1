// Issue 2 section 5: an Adam step, median ns per parameter, ortrain on ORT's CPU provider against a plain
// TypeScript loop, TensorFlow.js wasm and torch.optim.Adam; and the fixed cost of a step over 100 tiny
// tensors.
import { cpus } from 'os';
import { PythonPeer } from '../python-peer';
import { Contestant, runRounds, Timing } from '../rounds';
import { fmt, markdownTable, powerOfTen } from '../table';
import { layerwiseTables } from './layerwise';
import { loadOptimizers, ortrainAdam } from './ortrain-adam';
import { plainAdam } from './plain-adam';
import { makeProblem, splitSizes } from './problem';
import { loadTfjsWasm, tfjsAdam } from './tfjs-adam';
import { TORCH_ADAM_SCRIPT, torchAdam, torchAdamName, torchThreads } from './torch-adam';

export interface SectionOptions {
  quick: boolean;
}

const ORTRAIN = 'ortrain (ORT CPU)';
const TS = 'TypeScript loop';
const TFJS = 'TensorFlow.js wasm';
const THREADS = torchThreads(cpus().length);
const TORCH = THREADS.flatMap((t) => [torchAdamName(true, t), torchAdamName(false, t)]);
const COLUMNS = [ORTRAIN, TS, TFJS, ...TORCH];

interface CaseResult {
  label: string;
  total: number;
  tensors: number;
  timings: Map<string, Timing>;
  failed: Map<string, string>;
}

/** Runs every case and returns the Markdown of the section. */
export async function optimizerSection(options: SectionOptions): Promise<string> {
  const optimizers = await loadOptimizers();
  const tf = await loadTfjsWasm();
  const peer = await PythonPeer.start(TORCH_ADAM_SCRIPT);
  const absent = new Map<string, string>();
  if (typeof optimizers === 'string') absent.set(ORTRAIN, optimizers);
  if (typeof tf === 'string') absent.set(TFJS, tf);
  if (typeof peer === 'string') for (const name of TORCH) absent.set(name, peer);
  for (const [name, why] of absent) console.log(`  ${name}: ${why}`);

  const cases: { label: string; sizes: number[] }[] = [];
  for (const total of [1e4, 1e5, 1e6, 1e7]) {
    cases.push({ label: `${powerOfTen(total)}, 1 tensor`, sizes: [total] });
    cases.push({ label: `${powerOfTen(total)}, 100 tensors`, sizes: splitSizes(total, 100) });
  }
  cases.push({ label: 'fixed cost: 100 x 4', sizes: splitSizes(400, 100) });

  const results: CaseResult[] = [];
  try {
    for (const c of cases) {
      const contestants: Contestant[] = [];
      const cleanups: (() => void)[] = [];
      const setupFailed = new Map<string, string>();
      const attempt = async (name: string, make: () => Promise<Contestant[]> | Contestant[]): Promise<void> => {
        try {
          contestants.push(...(await make()));
        } catch (e) {
          setupFailed.set(name, e instanceof Error ? e.message : String(e));
        }
      };
      if (typeof optimizers !== 'string') await attempt(ORTRAIN, () => [ortrainAdam(optimizers, makeProblem(c.sizes))]);
      await attempt(TS, () => [plainAdam(makeProblem(c.sizes))]);
      if (typeof tf !== 'string') {
        await attempt(TFJS, () => {
          const t = tfjsAdam(tf, makeProblem(c.sizes));
          cleanups.push(() => t.dispose());
          return [t];
        });
      }
      if (typeof peer !== 'string') await attempt('PyTorch', () => torchAdam(peer, c.sizes, THREADS));
      const { timings, failed } = await runRounds(contestants, {
        rounds: options.quick ? 3 : 21,
        blockSeconds: options.quick ? 0.02 : 0.03,
        maxReps: 2000,
      });
      for (const [k, v] of setupFailed) failed.set(k, v);
      for (const cleanup of cleanups) cleanup();
      if (typeof peer !== 'string') await peer.request({ cmd: 'free' });
      const total = c.sizes.reduce((a, b) => a + b, 0);
      results.push({ label: c.label, total, tensors: c.sizes.length, timings, failed });
      console.log(`  ${c.label}: ${COLUMNS.map((n) => `${n} ${fmtCell(timings.get(n), total, c.label)}`).join(', ')}`);
      for (const [name, why] of failed) console.log(`    ${name} failed: ${why}`);
    }
  } finally {
    if (typeof peer !== 'string') await peer.close();
  }
  const adam = render(results, absent, typeof peer === 'string' ? undefined : `torch ${peer.hello.torch}, ${peer.hello.threads} threads by default`);
  return `${adam}\n\n${await layerwiseTables(options)}`;
}

function isFixedCost(label: string): boolean {
  return label.startsWith('fixed');
}

function fmtCell(t: Timing | undefined, total: number, label: string): string {
  if (!t) return 'n/a';
  return isFixedCost(label) ? `${fmt(t.secondsPerStep * 1e6)} us` : `${fmt((t.secondsPerStep * 1e9) / total)} ns`;
}

function torchBest(r: CaseResult): number | undefined {
  const values = TORCH.map((n) => r.timings.get(n)?.secondsPerStep).filter((x): x is number => x !== undefined);
  return values.length ? Math.min(...values) : undefined;
}

function render(results: CaseResult[], absent: Map<string, string>, torchNote: string | undefined): string {
  const perParam = results.filter((r) => !isFixedCost(r.label));
  const fixed = results.filter((r) => isFixedCost(r.label));
  const cell = (r: CaseResult, name: string): string => {
    const t = r.timings.get(name);
    if (t) return isFixedCost(r.label) ? fmt(t.secondsPerStep * 1e6) : fmt((t.secondsPerStep * 1e9) / r.total);
    if (absent.has(name)) return 'not available';
    return r.failed.has(name) ? 'failed' : 'n/a';
  };
  const ratio = (r: CaseResult): string => {
    const o = r.timings.get(ORTRAIN)?.secondsPerStep, p = torchBest(r);
    return o !== undefined && p !== undefined ? `${fmt(o / p)}x` : 'n/a';
  };
  const out: string[] = [];
  out.push('### Adam step, median ns per parameter (lower is better)');
  out.push('');
  out.push(markdownTable(['N, layout', ...COLUMNS, 'ortrain / PyTorch best'], perParam.map((r) => [r.label, ...COLUMNS.map((n) => cell(r, n)), ratio(r)])));
  out.push('');
  out.push('### Fixed cost: one Adam step over 100 tensors of 4 elements, median microseconds per step');
  out.push('');
  out.push(markdownTable(['case', ...COLUMNS, 'ortrain / PyTorch best'], fixed.map((r) => [r.label, ...COLUMNS.map((n) => cell(r, n)), ratio(r)])));
  out.push('');
  out.push('### Targets (issue 2)');
  out.push('');
  out.push(markdownTable(['target', 'measured', 'met'], targets(results)));
  const notes: string[] = [];
  for (const [name, why] of absent) notes.push(`- ${name}: ${why}`);
  for (const r of results) for (const [name, why] of r.failed) notes.push(`- ${r.label}, ${name} failed: ${why}`);
  if (torchNote) notes.push(`- PyTorch: ${torchNote}; each contestant also on 1 thread ('1 thr'). Times taken in its own process (no IPC in them).`);
  if (notes.length) out.push('', ...notes);
  return out.join('\n');
}

function targets(results: CaseResult[]): string[][] {
  const rows: string[][] = [];
  const find = (total: number, tensors: number) => results.find((r) => !isFixedCost(r.label) && r.total === total && r.tensors === tensors);
  const verdict = (ok: boolean | undefined): string => (ok === undefined ? 'not measured' : ok ? 'yes' : 'NO');
  for (const total of [1e4, 1e5, 1e6]) {
    const r = find(total, 100);
    const o = r?.timings.get(ORTRAIN)?.secondsPerStep, p = r && torchBest(r);
    rows.push([`${powerOfTen(total)}, 100 tensors: ortrain <= PyTorch best`,
      o !== undefined && p !== undefined ? `${fmt((o * 1e9) / total)} vs ${fmt((p * 1e9) / total)} ns` : 'n/a',
      verdict(o !== undefined && p !== undefined ? o <= p : undefined)]);
  }
  const fixed = results.find((r) => isFixedCost(r.label));
  const f = fixed?.timings.get(ORTRAIN)?.secondsPerStep;
  rows.push(['fixed cost, 100 tiny tensors: ortrain < 60 us', f !== undefined ? `${fmt(f * 1e6)} us` : 'n/a', verdict(f !== undefined ? f * 1e6 < 60 : undefined)]);
  for (const tensors of [1, 100]) {
    const r = find(1e7, tensors);
    const o = r?.timings.get(ORTRAIN)?.secondsPerStep, p = r && torchBest(r);
    rows.push([`1e7, ${tensors === 1 ? '1 tensor' : '100 tensors'}: ortrain <= 2 x PyTorch best`,
      o !== undefined && p !== undefined ? `${fmt(o / p)}x` : 'n/a',
      verdict(o !== undefined && p !== undefined ? o <= 2 * p : undefined)]);
  }
  return rows;
}
