// Where an ortrain step spends its time, measured on onnxruntime-node directly: the fixed cost of a run,
// the cost of each extra node, the cost of one element-wise pass over N floats (ORT writes every output
// into fresh memory), and the memory floor of this machine.
import { encodeModel, GraphBuilder, Value } from '@ortrain/graph-builder';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { adamGraph } from './optimizer/adam-graph';
import { loadOptimizers, ortrainAdam } from './optimizer/ortrain-adam';
import { makeProblem, splitSizes } from './optimizer/problem';
import { Contestant, runRounds, timeBlock } from './rounds';
import { opProfile } from './training/op-profile';
import { uniform, uniformArray } from './random';
import { fmt, markdownTable, powerOfTen } from './table';

/** x -> `adds` chained Add(x, 1) nodes (Identity when 0) -> y, over a float32 vector of `n`. */
function chainModel(n: number, adds: number): Uint8Array {
  const g = new GraphBuilder('chain');
  let v: Value = g.input('x', 'float32', [n]);
  if (adds === 0) v = g.op('Identity', [v]);
  for (let i = 0; i < adds; i++) v = g.add(v, 1);
  g.output(v, 'y');
  return encodeModel(g.build());
}

interface ChainOptions {
  /** Pass a preallocated output tensor in `fetches`. */
  fetch?: boolean;
  intraOpNumThreads?: number;
}

async function ortContestant(name: string, n: number, adds: number, o: ChainOptions = {}): Promise<Contestant> {
  const session = await InferenceSession.create(chainModel(n, adds), {
    executionProviders: ['cpu'],
    ...(o.intraOpNumThreads ? { intraOpNumThreads: o.intraOpNumThreads } : {}),
  });
  const feeds = { x: new Tensor('float32', new Float32Array(n).fill(0.5), [n]) };
  const fetches = { y: new Tensor('float32', new Float32Array(n), [n]) };
  const run = o.fetch ? () => session.run(feeds, fetches) : () => session.run(feeds);
  return { name, runBlock: (reps) => timeBlock(reps, async () => { await run(); }) };
}

/**
 * A chain of `count` masking nodes over N floats, the way a gradient rule keeps dY where a mask holds:
 * Where(mask, v, 0) with a bool mask, or Mul(v, mask) with the mask as 0/1 floats.
 */
async function maskContestant(name: string, n: number, op: 'Where' | 'Mul', count: number): Promise<Contestant> {
  const g = new GraphBuilder('mask');
  const x = g.input('x', 'float32', [n]);
  const positive = g.greater(x, 0);
  const mask = op === 'Where' ? positive : g.cast(positive, 'float32');
  let v: Value = g.op('Identity', [x]);
  for (let i = 0; i < count; i++) v = op === 'Where' ? g.where(mask, v, 0) : g.mul(v, mask);
  g.output(v, 'y');
  const session = await InferenceSession.create(encodeModel(g.build()), { executionProviders: ['cpu'] });
  const rand = uniform(5);
  const feeds = { x: new Tensor('float32', uniformArray(n, -1, 1, rand), [n]) };
  return { name, runBlock: (reps) => timeBlock(reps, async () => { await session.run(feeds); }) };
}

/** Copies N floats into an existing buffer, or (`fresh`) into a new one each time, as ORT's outputs arrive. */
function copyContestant(name: string, n: number, fresh = false): Contestant {
  const a = new Float32Array(n).fill(0.5);
  let b = new Float32Array(n);
  return {
    name,
    runBlock: (reps) => timeBlock(reps, () => {
      if (fresh) b = new Float32Array(n);
      b.set(a);
    }),
  };
}

export async function diagnosticsSection(options: { quick: boolean }): Promise<string> {
  const big = [1e6, 1e7];
  const contestants: Contestant[] = [
    await ortContestant('empty run (1 Identity, 1 float)', 1, 0),
    await ortContestant('empty run, 1 intra-op thread', 1, 0, { intraOpNumThreads: 1 }),
    await ortContestant('1 Add, 1 float', 1, 1),
    await ortContestant('100 Adds, 1 float', 1, 100),
    ...(await Promise.all(big.map((n) => ortContestant(`1 Add, ${powerOfTen(n)} floats`, n, 1)))),
    ...(await Promise.all(big.map((n) => ortContestant(`10 Adds, ${powerOfTen(n)} floats`, n, 10)))),
    ...(await Promise.all(big.map((n) => ortContestant(`1 Add into a preallocated output, ${powerOfTen(n)} floats`, n, 1, { fetch: true })))),
    ...(await Promise.all((['Where', 'Mul'] as const).flatMap((op) => [1, 10].map((k) => maskContestant(`${k} ${op}, 1e6`, 1e6, op, k))))),
    ...big.map((n) => copyContestant(`Float32Array.set, ${powerOfTen(n)} floats`, n)),
    ...big.map((n) => copyContestant(`new Float32Array + set, ${powerOfTen(n)} floats`, n, true)),
  ];
  // ortrain's Adam over 100 tensors of 4: opt.step() against a bare run of the graph it runs.
  const graph = await adamGraph(400);
  const optimizers = await loadOptimizers();
  const notes: string[] = [];
  if (typeof graph === 'string') notes.push(`- Adam graph: ${graph}`);
  else contestants.push(await graph.contestant('Adam graph, bare session.run, 400 floats'));
  if (typeof optimizers === 'string') notes.push(`- ortrain Adam: ${optimizers}`);
  else contestants.push({ ...ortrainAdam(optimizers, makeProblem(splitSizes(400, 100))), name: 'Adam opt.step(), 100 x 4' });
  const { timings, failed } = await runRounds(contestants, { rounds: options.quick ? 3 : 21, blockSeconds: options.quick ? 0.02 : 0.03, maxReps: 5000 });
  const sec = (name: string) => timings.get(name)?.secondsPerStep;
  const us = (name: string) => { const s = sec(name); return s === undefined ? undefined : s * 1e6; };
  const rows: string[][] = [];
  rows.push(['ORT CPU: fixed cost of a run (one Identity on 1 float)', `${fmt(us('empty run (1 Identity, 1 float)'))} us`]);
  rows.push(['ORT CPU: the same with intraOpNumThreads 1', `${fmt(us('empty run, 1 intra-op thread'))} us`]);
  const one = us('1 Add, 1 float'), hundred = us('100 Adds, 1 float');
  rows.push(['ORT CPU: cost of each extra node (100 vs 1 Add on 1 float, per node)',
    one !== undefined && hundred !== undefined ? `${fmt((hundred - one) / 99)} us` : 'n/a']);
  for (const n of big) {
    const a1 = sec(`1 Add, ${powerOfTen(n)} floats`), a10 = sec(`10 Adds, ${powerOfTen(n)} floats`), c = sec(`Float32Array.set, ${powerOfTen(n)} floats`);
    rows.push([`ORT CPU: one run of 1 Add over ${powerOfTen(n)} floats, per element`, a1 !== undefined ? `${fmt((a1 * 1e9) / n)} ns` : 'n/a']);
    rows.push([`ORT CPU: each further Add node over ${powerOfTen(n)} floats (10 vs 1 Add), per element`,
      a1 !== undefined && a10 !== undefined ? `${fmt(((a10 - a1) * 1e9) / n / 9)} ns` : 'n/a']);
    const f1 = sec(`1 Add into a preallocated output, ${powerOfTen(n)} floats`);
    rows.push([`ORT CPU: one run of 1 Add over ${powerOfTen(n)} floats with a preallocated output in \`fetches\`, per element`, f1 !== undefined ? `${fmt((f1 * 1e9) / n)} ns` : 'n/a']);
    rows.push([`memory: Float32Array.set of ${powerOfTen(n)} floats (8 bytes moved), per element`, c !== undefined ? `${fmt((c * 1e9) / n)} ns` : 'n/a']);
    const fresh = sec(`new Float32Array + set, ${powerOfTen(n)} floats`);
    rows.push([`memory: the same copy into a new Float32Array each time (fresh pages), per element`, fresh !== undefined ? `${fmt((fresh * 1e9) / n)} ns` : 'n/a']);
    rows.push([`memory floor of an Adam step at ${powerOfTen(n)} (28 bytes per parameter: read p, g, m, v; write p, m, v)`,
      c !== undefined ? `${fmt(((c * 1e9) / n) * 3.5)} ns per parameter` : 'n/a']);
  }
  for (const op of ['Where', 'Mul']) {
    const t1 = sec(`1 ${op}, 1e6`), t10 = sec(`10 ${op}, 1e6`);
    rows.push([`ORT CPU: masking dY over 1e6 floats with ${op === 'Where' ? 'Where(mask, dY, 0)' : 'Mul(dY, float mask)'}, each further node (10 vs 1), per element`,
      t1 !== undefined && t10 !== undefined ? `${fmt(((t10 - t1) * 1e9) / 1e6 / 9)} ns` : 'n/a']);
  }
  if (typeof graph !== 'string') {
    const counts = new Map<string, number>();
    for (const op of graph.ops) counts.set(op, (counts.get(op) ?? 0) + 1);
    rows.push(['ortrain Adam graph of one group (torch defaults): nodes', `${graph.ops.length} (${[...counts].map(([op, n]) => `${n} ${op}`).join(', ')})`]);
    rows.push(['ortrain Adam graph, bare session.run over 400 floats', `${fmt(us('Adam graph, bare session.run, 400 floats'))} us`]);
  }
  if (typeof optimizers !== 'string') rows.push(['ortrain Adam opt.step() over 100 tensors of 4 (the same graph, plus the optimizer\'s JS)', `${fmt(us('Adam opt.step(), 100 x 4'))} us`]);
  const out = [markdownTable(['measurement', 'median'], rows)];
  out.push(...notes);
  for (const [name, why] of failed) out.push(`- ${name} failed: ${why}`);
  for (const model of ['mlp', 'lenet'] as const) {
    const steps = options.quick ? 20 : 100;
    const profile = await opProfile(model, steps);
    out.push('', `### ${model}: the training graph (loss and gradients, batch 32) under ONNX Runtime's profiler, by op type`, '');
    if (typeof profile === 'string') {
      out.push(`_${profile}_`);
      continue;
    }
    const shown = profile.byOp.slice(0, 12);
    const rest = profile.byOp.slice(12).reduce((a, r) => a + r[1], 0);
    const rows = shown.map(([op, us, nodes]) => [op, String(Math.round(nodes)), fmt(us), `${fmt((100 * us) / profile.kernels)}%`]);
    if (rest > 0) rows.push([`${profile.byOp.length - shown.length} other op types`, '', fmt(rest), `${fmt((100 * rest) / profile.kernels)}%`]);
    rows.push(['all kernels', String(profile.nodes), fmt(profile.kernels), '100%']);
    out.push(markdownTable(['op type', 'nodes', 'us per step', 'share'], rows));
    out.push('', `_${steps} runs, the first not counted; the profiler's own cost is in these times, so read the shares more than the sums. Node counts are after ONNX Runtime's fusions (the graph as written has ${profile.nodes} nodes)._`);
  }
  return out.join('\n');
}
