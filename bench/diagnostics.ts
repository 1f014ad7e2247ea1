// Where an ortrain step spends its time, measured on onnxruntime-node directly: the fixed cost of a run,
// the cost of each extra node, the cost of one element-wise pass over N floats (ORT writes every output
// into fresh memory), and the memory floor of this machine.
import { encodeModel, GraphBuilder, Value } from '@ortrain/graph-builder';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { Contestant, runRounds, timeBlock } from './rounds';
import { fmt, markdownTable, powerOfTen } from './table';

/**
 * x -> `adds` chained Add(x, 1) nodes (Identity when 0) -> y, over a float32 vector of `n`; with `sum` the
 * output is the ReduceSum of the chain, one float, so the run hands no big output back to JS.
 */
function chainModel(n: number, adds: number, sum = false): Uint8Array {
  const g = new GraphBuilder('chain');
  let v: Value = g.input('x', 'float32', [n]);
  if (adds === 0) v = g.op('Identity', [v]);
  for (let i = 0; i < adds; i++) v = g.add(v, 1);
  if (sum) v = g.op('ReduceSum', [v], { keepdims: 0 });
  g.output(v, 'y');
  return encodeModel(g.build());
}

async function ortContestant(name: string, n: number, adds: number, sum = false): Promise<Contestant> {
  const session = await InferenceSession.create(chainModel(n, adds, sum), { executionProviders: ['cpu'] });
  const feeds = { x: new Tensor('float32', new Float32Array(n).fill(0.5), [n]) };
  return { name, runBlock: (reps) => timeBlock(reps, async () => { await session.run(feeds); }) };
}

function copyContestant(name: string, n: number): Contestant {
  const a = new Float32Array(n).fill(0.5), b = new Float32Array(n);
  return { name, runBlock: (reps) => timeBlock(reps, () => { b.set(a); }) };
}

export async function diagnosticsSection(options: { quick: boolean }): Promise<string> {
  const big = [1e6, 1e7];
  const contestants: Contestant[] = [
    await ortContestant('empty run (1 Identity, 1 float)', 1, 0),
    await ortContestant('1 Add, 1 float', 1, 1),
    await ortContestant('100 Adds, 1 float', 1, 100),
    ...(await Promise.all(big.map((n) => ortContestant(`1 Add, ${powerOfTen(n)} floats`, n, 1)))),
    ...(await Promise.all(big.map((n) => ortContestant(`10 Adds, ${powerOfTen(n)} floats`, n, 10)))),
    ...(await Promise.all(big.map((n) => ortContestant(`1 Add + ReduceSum, ${powerOfTen(n)} floats`, n, 1, true)))),
    ...big.map((n) => copyContestant(`Float32Array.set, ${powerOfTen(n)} floats`, n)),
  ];
  const { timings, failed } = await runRounds(contestants, { rounds: options.quick ? 3 : 11, blockSeconds: options.quick ? 0.02 : 0.05, maxReps: 5000 });
  const sec = (name: string) => timings.get(name)?.secondsPerStep;
  const us = (name: string) => { const s = sec(name); return s === undefined ? undefined : s * 1e6; };
  const rows: string[][] = [];
  rows.push(['ORT CPU: fixed cost of a run (one Identity on 1 float)', `${fmt(us('empty run (1 Identity, 1 float)'))} us`]);
  const one = us('1 Add, 1 float'), hundred = us('100 Adds, 1 float');
  rows.push(['ORT CPU: cost of each extra node (100 vs 1 Add on 1 float, per node)',
    one !== undefined && hundred !== undefined ? `${fmt((hundred - one) / 99)} us` : 'n/a']);
  for (const n of big) {
    const a1 = sec(`1 Add, ${powerOfTen(n)} floats`), a10 = sec(`10 Adds, ${powerOfTen(n)} floats`), c = sec(`Float32Array.set, ${powerOfTen(n)} floats`);
    rows.push([`ORT CPU: one run of 1 Add over ${powerOfTen(n)} floats, per element`, a1 !== undefined ? `${fmt((a1 * 1e9) / n)} ns` : 'n/a']);
    rows.push([`ORT CPU: each further Add node over ${powerOfTen(n)} floats (10 vs 1 Add), per element`,
      a1 !== undefined && a10 !== undefined ? `${fmt(((a10 - a1) * 1e9) / n / 9)} ns` : 'n/a']);
    const s1 = sec(`1 Add + ReduceSum, ${powerOfTen(n)} floats`);
    rows.push([`ORT CPU: handing a ${powerOfTen(n)}-float output back to JS (1 Add with vs without a ReduceSum to 1 float), per element`,
      a1 !== undefined && s1 !== undefined ? `${fmt(((a1 - s1) * 1e9) / n)} ns` : 'n/a']);
    rows.push([`memory: Float32Array.set of ${powerOfTen(n)} floats (8 bytes moved), per element`, c !== undefined ? `${fmt((c * 1e9) / n)} ns` : 'n/a']);
    rows.push([`memory floor of an Adam step at ${powerOfTen(n)} (28 bytes per parameter: read p, g, m, v; write p, m, v)`,
      c !== undefined ? `${fmt(((c * 1e9) / n) * 3.5)} ns per parameter` : 'n/a']);
  }
  const out = [markdownTable(['measurement', 'median'], rows)];
  for (const [name, why] of failed) out.push(`- ${name} failed: ${why}`);
  return out.join('\n');
}
