// Issue 11 section 1: why `Mul` by a scalar that is a graph input costs more than by a scalar initializer,
// and which form of the scalar routes around it. Chains of 12 Mul nodes over N floats, each form of the
// scalar operand, on onnxruntime-node's CPU provider; ns per element per node, median and minimum over
// interleaved rounds. Every form runs with the intra-op pool's spinning on (onnxruntime's default) and off.
// Run: npx tsx bench/update-path/scalars.ts [--quick] [--threads 1,2] [--sizes 65536,262144]
import { encodeModel, GraphBuilder, Value } from '@ortrain/graph-builder';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { Contestant, runRounds, timeBlock } from '../rounds';
import { fmt, markdownTable } from '../table';

const NODES = 12;

/** How the chain's scalar operand reaches the Mul nodes. */
export const FORMS = {
  'initializer []': 'a scalar initializer (shape [])',
  'input []': 'a graph input of shape []',
  'input [1]': 'a graph input of shape [1]',
  'input [1] reshaped to []': 'a graph input of shape [1], Reshape to [] once',
  'packed [8], Gather -> []': 'one graph input of 8 scalars, Gather of one (shape []) once',
  'input [] Expand to [N]': 'a graph input of shape [], Expand to [N] once, the full tensor into each Mul',
} as const;
type Form = keyof typeof FORMS;
export const FORM_NAMES: Form[] = ['initializer []', 'input []', 'input [1]', 'input [1] reshaped to []', 'packed [8], Gather -> []', 'input [] Expand to [N]'];

function chain(n: number, form: Form): { model: Uint8Array; feeds: Record<string, Tensor> } {
  const g = new GraphBuilder('chain');
  const x = g.input('x', 'float32', [n]);
  const feeds: Record<string, Tensor> = { x: new Tensor('float32', new Float32Array(n).fill(0.5), [n]) };
  let s: Value;
  switch (form) {
    case 'initializer []':
      s = g.constant(1.0001);
      break;
    case 'input []':
      s = g.input('s', 'float32', []);
      feeds.s = new Tensor('float32', new Float32Array([1.0001]), []);
      break;
    case 'input [1]':
      s = g.input('s', 'float32', [1]);
      feeds.s = new Tensor('float32', new Float32Array([1.0001]), [1]);
      break;
    case 'input [1] reshaped to []':
      s = g.reshape(g.input('s', 'float32', [1]), g.ints([]));
      feeds.s = new Tensor('float32', new Float32Array([1.0001]), [1]);
      break;
    case 'packed [8], Gather -> []':
      s = g.op('Gather', [g.input('s', 'float32', [8]), g.constant(3, 'int64')], { axis: 0 });
      feeds.s = new Tensor('float32', new Float32Array([0, 0, 0, 1.0001, 0, 0, 0, 0]), [8]);
      break;
    case 'input [] Expand to [N]':
      s = g.op('Expand', [g.input('s', 'float32', []), g.ints([n])]);
      feeds.s = new Tensor('float32', new Float32Array([1.0001]), []);
      break;
  }
  let v: Value = x;
  for (let i = 0; i < NODES; i++) v = g.mul(v, s);
  g.output(v, 'y');
  return { model: encodeModel(g.build()), feeds };
}

async function contestant(n: number, form: Form, threads: number, spin: boolean): Promise<Contestant> {
  const { model, feeds } = chain(n, form);
  const session = await InferenceSession.create(model, {
    executionProviders: ['cpu'], intraOpNumThreads: threads,
    ...(spin ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
  });
  // Outputs into a caller tensor, as the optimizers run them.
  const fetches = { y: new Tensor('float32', new Float32Array(n), [n]) };
  return { name: key(form, n, threads, spin), runBlock: (reps) => timeBlock(reps, async () => { await session.run(feeds, fetches); }) };
}

const key = (form: Form, n: number, threads: number, spin: boolean) => `${form} | ${n} | ${threads} | ${spin}`;

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const at = process.argv.indexOf('--threads');
  const threads = at >= 0 ? process.argv[at + 1].split(',').map(Number) : [2, 1];
  const si = process.argv.indexOf('--sizes');
  const sizes = si >= 0 ? process.argv[si + 1].split(',').map(Number) : [16384, 65536, 262144, 1048576];
  const rows: string[][] = [];
  for (const n of sizes) {
    const contestants: Contestant[] = [];
    for (const t of threads) for (const f of FORM_NAMES) for (const spin of [true, false]) contestants.push(await contestant(n, f, t, spin));
    const { timings } = await runRounds(contestants, { rounds: quick ? 5 : 15, blockSeconds: 0.02, maxReps: 2000 });
    for (const t of threads) {
      for (const f of FORM_NAMES) {
        const per = (s: number | undefined) => (s === undefined ? 'n/a' : fmt((s * 1e9) / n / NODES));
        const on = timings.get(key(f, n, t, true)), off = timings.get(key(f, n, t, false));
        rows.push([String(n), String(t), f, per(on?.secondsPerStep), per(on?.minSecondsPerStep), per(off?.secondsPerStep), per(off?.minSecondsPerStep)]);
      }
    }
    console.log(`  N=${n} done`);
  }
  console.log(markdownTable(['N floats', 'threads', 'scalar operand', 'spinning: median', 'spinning: min', 'no spinning: median', 'no spinning: min'], rows));
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
