// Samples per second of TrainingSession.trainStep (Adam, CPU, batch 32) on the fixtures' mlp and lenet, and
// the node count by op type of their training graphs (loss and gradients, as generateArtifacts writes it).
// Usage: npx tsx scripts/train-step-speed.ts [mlp|lenet ...] [--rounds N]
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Tensor } from 'onnxruntime-node';
import { decodeModel } from '@ortrain/graph-builder';
import { Adam } from '@ortrain/optimizers';
import { generateArtifacts, TrainingSession } from '../src';

const FIXTURES = join(__dirname, '..', '..', '..', 'fixtures', 'models');
const SAMPLE: Record<string, number[]> = { mlp: [64], lenet: [1, 28, 28] };
const BATCH = 32;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

async function nodeCounts(model: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ortrain-speed-'));
  try {
    const paths = await generateArtifacts(join(FIXTURES, `${model}.onnx`), { loss: 'cross_entropy', optimizer: 'Adam' } as never, dir);
    const graph = decodeModel(readFileSync((paths as { training: string }).training)).graph!;
    const counts = new Map<string, number>();
    for (const n of graph.node ?? []) counts.set(n.opType, (counts.get(n.opType) ?? 0) + 1);
    const list = [...counts].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
    return `${graph.node?.length ?? 0} nodes: ${list}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function speed(model: string, rounds: number, threads?: number): Promise<number[]> {
  const session = await TrainingSession.create({
    model: join(FIXTURES, `${model}.onnx`), loss: 'cross_entropy',
    optimizer: (params) => new Adam(params, { lr: 1e-3 }), executionProviders: ['cpu'], intraOpNumThreads: threads,
  });
  const rand = rng(7);
  const shape = [BATCH, ...SAMPLE[model]];
  const size = shape.reduce((a, b) => a * b, 1);
  const batches = Array.from({ length: 8 }, () => ({
    inputs: { input: new Tensor('float32', Float32Array.from({ length: size }, rand), shape) },
    labels: new Tensor('int64', BigInt64Array.from({ length: BATCH }, () => BigInt(Math.floor(rand() * 10))), [BATCH]),
  }));
  for (let i = 0; i < 20; i++) await session.trainStep(batches[i % 8]);
  // Time spent inside the update graph's session.run, to tell the step's JS overhead from ORT's work.
  const updates = (session as unknown as { updates: Map<boolean, { session: { run: (f: unknown) => Promise<unknown> } }> }).updates;
  const update = updates.get(false)!.session;
  const bareRun = update.run.bind(update);
  let inRun = 0n;
  update.run = async (f) => {
    const t0 = process.hrtime.bigint();
    try { return await bareRun(f); } finally { inRun += process.hrtime.bigint() - t0; }
  };
  const rates: number[] = [];
  const shares: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let steps = 0;
    inRun = 0n;
    const t0 = process.hrtime.bigint();
    let t = t0;
    while (t - t0 < 200_000_000n) {
      await session.trainStep(batches[steps % 8]);
      steps++;
      t = process.hrtime.bigint();
    }
    rates.push((steps * BATCH) / (Number(t - t0) / 1e9));
    shares.push(Number(inRun) / Number(t - t0));
  }
  await session.release();
  console.log(`${model}: session.run is ${(100 * median(shares)).toFixed(0)}% of trainStep's wall time (median)`);
  return rates;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const ri = args.indexOf('--rounds');
  const rounds = ri >= 0 ? Number(args[ri + 1]) : 11;
  const models = args.filter((a, i) => !a.startsWith('--') && (ri < 0 || i !== ri + 1));
  for (const m of models.length ? models : ['mlp', 'lenet']) {
    console.log(`${m}: training graph ${await nodeCounts(m)}`);
    if (args.includes('--threads')) {
      for (const t of [0, 1, 0, 1]) {
        const r = await speed(m, Math.max(3, Math.floor(rounds / 2)), t);
        console.log(`${m}: intraOpNumThreads ${t}: trainStep median ${median(r).toFixed(0)} samples/s`);
      }
      continue;
    }
    const rates = await speed(m, rounds);
    console.log(`${m}: trainStep median ${median(rates).toFixed(0)} samples/s (min ${Math.min(...rates).toFixed(0)}, max ${Math.max(...rates).toFixed(0)}, ${rounds} rounds)`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
