// The golden entries of the catalogue (holocron, quadra, documented and official variants) with the optimizer
// name and options that reproduce each (fixtures/golden/README.md's table).
import type { Runtime } from '@ortrain/runtime';
import { AnyOptimizer, Parameter, PolynomialLR, optimizerFromConfig } from '../src';
import { GoldenEntry, camelOptions, goldenEntries } from './golden';

/** Keys of the golden entries that describe how the reference was run, not options of ours. */
const NOT_OPTIONS = ['T', 'mode', 'bias_correction', 'denom', 'sma_threshold', 'eps_in_s', 'weight_decouple', 'fixed_decay',
  'rectify', 'degenerated_to_sgd', 'print_change_log', 'max_grad_norm', 'no_prox', 'foreach'];

function options(e: GoldenEntry, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const h = Object.fromEntries(Object.entries(e.hyperparams).filter(([k]) => !NOT_OPTIONS.includes(k)));
  return { ...camelOptions(h), ...extra };
}

/** Each targeted entry: the optimizer's name and the options that reproduce it (the golden README's table). */
export function targets(): { entry: GoldenEntry; name: string; options: Record<string, unknown>; T?: number }[] {
  const out: { entry: GoldenEntry; name: string; options: Record<string, unknown>; T?: number }[] = [];
  const algo = (e: GoldenEntry) => e.name.replace(/^.*?\.([A-Za-z]+)#.*$/, '$1');
  for (const e of goldenEntries('holocron.json', 'holocron.')) {
    const name = algo(e);
    if (name === 'Lookahead' || name === 'Scout') continue;
    out.push({ entry: e, name, options: options(e, { compat: 'holocron' }) });
  }
  for (const e of goldenEntries('quadra.json', 'quadra.LARS#')) out.push({ entry: e, name: 'LARS', options: options(e) });
  const doc = (prefix: string) => goldenEntries('doc_variants.json', prefix);
  // holocron's documented LARS: gamma = clip(||p||) / (||g|| + wd ||p||), the trust ratio on the gradient
  // before the momentum (quadra's form with trustCoefficient 1 and eps 0), at every weight decay.
  const docLars = { trustCoefficient: 1, eps: 0, alwaysAdapt: true };
  for (const e of doc('doc/holocron.LARS#5').filter((x) => x.name === 'doc/holocron.LARS#5')) out.push({ entry: e, name: 'LARS', options: options(e, docLars) });
  for (const e of doc('doc/holocron.LARS#').filter((x) => x.name.endsWith('@T=10'))) {
    out.push({ entry: e, name: 'LARS', options: options(e, { ...docLars, lrInMomentum: true }), T: 10 });
  }
  for (const e of doc('doc/holocron.LAMB#')) out.push({ entry: e, name: 'LAMB', options: options(e) });
  for (const e of doc('doc/holocron.RaLars#')) out.push({ entry: e, name: 'RaLars', options: options(e) });
  for (const e of doc('official/adabelief-pytorch/')) out.push({ entry: e, name: 'AdaBelief', options: options(e) });
  for (const e of doc('official/sail-sg-Adan/')) out.push({ entry: e, name: 'Adan', options: options(e) });
  for (const e of doc('official/apple-ademamix/')) out.push({ entry: e, name: 'AdEMAMix', options: options(e, { decoupledWeightDecay: true }) });
  return out;
}

/** The optimizer of a target; with T, holocron's documented polynomial decay as PolynomialLR (power 2) stepped before each step. */
export function make(t: ReturnType<typeof targets>[number], rt: Runtime) {
  return (params: Parameter[]): AnyOptimizer => {
    const opt = optimizerFromConfig(params, { name: t.name, options: { ...t.options, runtime: rt } });
    if (t.T) {
      const sched = new PolynomialLR(opt, { totalIters: t.T, power: 2 });
      opt.registerStepPreHook(() => { sched.step(); });
    }
    return opt;
  };
}

