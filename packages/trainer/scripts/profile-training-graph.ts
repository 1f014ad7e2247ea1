// Per-node kernel times of a fixture's training graph (loss and gradients, batch 32) under ONNX Runtime's
// profiler on the CPU provider: which nodes of the backward pass cost the most.
// Usage: npx tsx scripts/profile-training-graph.ts [lenet|mlp] [steps] [intraOpNumThreads, default 1]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { decodeModel } from '@ortrain/graph-builder';
import { generateArtifacts } from '../src';

const FIXTURES = join(__dirname, '..', '..', '..', 'fixtures', 'models');
const BATCH = 32;

async function main(): Promise<void> {
  const model = process.argv[2] ?? 'lenet';
  const steps = Number(process.argv[3] ?? 100);
  const dir = mkdtempSync(join(tmpdir(), 'ortrain-profile-'));
  try {
    const paths = await generateArtifacts(join(FIXTURES, `${model}.onnx`), { loss: 'cross_entropy', optimizer: 'Adam' } as never, dir);
    const bytes = readFileSync((paths as { training: string }).training);
    const graph = decodeModel(bytes).graph!;
    const inits = new Set((graph.initializer ?? []).map((t) => t.name));
    const feeds: Record<string, Tensor> = {};
    let s = 11;
    const rand = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    for (const input of graph.input ?? []) {
      if (inits.has(input.name)) continue;
      const t = input.type!.tensorType!;
      const dims = (t.shape?.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null ? Number(d.dimValue) : BATCH));
      const size = dims.reduce((a, b) => a * b, 1);
      feeds[input.name] = t.elemType === 7
        ? new Tensor('int64', BigInt64Array.from({ length: size }, () => BigInt(Math.floor(rand() * 10))), dims)
        : new Tensor('float32', Float32Array.from({ length: size }, () => rand() - 0.5), dims);
    }
    const session = await InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: Number(process.argv[4] ?? 1), enableProfiling: true, profileFilePrefix: join(dir, 'p') });
    for (let i = 0; i < steps; i++) await session.run(feeds);
    session.endProfiling();
    await session.release();
    const file = readdirSync(dir).find((f) => f.startsWith('p') && f.endsWith('.json'))!;
    const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { cat?: string; name?: string; dur?: number; args?: { op_name?: string } }[];
    const byNode = new Map<string, { op: string; us: number }>();
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time')) continue;
      const name = e.name.slice(0, -'_kernel_time'.length);
      const entry = byNode.get(name) ?? { op: e.args?.op_name ?? '?', us: 0 };
      entry.us += (e.dur ?? 0) / steps;
      byNode.set(name, entry);
    }
    const rows = [...byNode].sort((a, b) => b[1].us - a[1].us);
    const total = rows.reduce((a, [, r]) => a + r.us, 0);
    console.log(`${model}: ${graph.node?.length} nodes written, ${rows.length} run; ${total.toFixed(0)} us per step in kernels`);
    for (const [name, r] of rows.slice(0, 40)) console.log(`${r.us.toFixed(1).padStart(8)} us  ${r.op.padEnd(16)} ${name}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
