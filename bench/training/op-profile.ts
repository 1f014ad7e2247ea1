// Where a training step's time goes, op type by op type: the trainer's training graph of a fixture model
// (loss and gradients, as generateArtifacts writes it; the optimizer is not in it) run under ONNX Runtime's
// profiler on the CPU provider with batch 32.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { decodeModel } from '@ortrain/graph-builder';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { optionalImport } from '../optional-import';
import { uniform, uniformArray } from '../random';
import { BATCH, CLASSES, ModelName } from './batches';
import { FIXTURES } from './ortrain-training';

interface ArtifactsModule {
  generateArtifacts(model: string, options: { loss: string; optimizer?: string }, dir: string): Promise<{ training: string }>;
}

export interface OpProfile {
  nodes: number;
  /** Microseconds per step by op type, largest first. */
  byOp: [string, number, number][];
  /** Microseconds per step in all kernels. */
  kernels: number;
}

interface ProfileEvent {
  cat?: string;
  name?: string;
  dur?: number;
  args?: { op_name?: string };
}

export async function opProfile(model: ModelName, steps: number): Promise<OpProfile | string> {
  const mod = await optionalImport<ArtifactsModule>('@ortrain/trainer', ['generateArtifacts']);
  if (typeof mod === 'string') return mod;
  const dir = mkdtempSync(join(tmpdir(), 'ortrain-bench-profile-'));
  try {
    const paths = await mod.generateArtifacts(join(FIXTURES, `${model}.onnx`), { loss: 'cross_entropy', optimizer: 'Adam' }, dir);
    const bytes = readFileSync(paths.training);
    const proto = decodeModel(bytes);
    const graph = proto.graph!;
    const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
    const rand = uniform(11);
    const feeds: Record<string, Tensor> = {};
    for (const input of graph.input ?? []) {
      if (initializers.has(input.name)) continue;
      const t = input.type?.tensorType;
      const dims = (t?.shape?.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null ? Number(d.dimValue) : BATCH));
      const size = dims.reduce((a, b) => a * b, 1);
      if (t?.elemType === 7) feeds[input.name!] = new Tensor('int64', BigInt64Array.from({ length: size }, () => BigInt(Math.floor(rand() * CLASSES))), dims);
      else if (t?.elemType === 1) feeds[input.name!] = new Tensor('float32', uniformArray(size, -0.1, 0.1, rand), dims);
      else return `the training graph has an input '${input.name}' of element type ${t?.elemType} that this profile cannot feed`;
    }
    const session = await InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      enableProfiling: true,
      profileFilePrefix: join(dir, 'profile'),
    });
    if (steps < 2) throw new RangeError(`opProfile: steps must be at least 2, got ${steps}`);
    for (let i = 0; i < steps; i++) await session.run(feeds);
    // onnxruntime-node writes the profile to `<prefix>_<date>.json` and does not return the name.
    session.endProfiling();
    await session.release();
    const file = readdirSync(dir).find((f) => f.startsWith('profile') && f.endsWith('.json'));
    if (!file) return 'ONNX Runtime wrote no profile';
    const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProfileEvent[];
    const totals = new Map<string, [number, number]>();
    const seen = new Set<string>();
    let kernels = 0;
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args?.op_name) continue;
      // The first run of each node sets up its buffers and caches: not counted.
      if (!seen.has(e.name)) {
        seen.add(e.name);
        continue;
      }
      const entry = totals.get(e.args.op_name) ?? [0, 0];
      entry[0] += e.dur ?? 0;
      entry[1] += 1;
      totals.set(e.args.op_name, entry);
      kernels += e.dur ?? 0;
    }
    const counted = steps - 1;
    const byOp = [...totals].map(([op, [us, count]]) => [op, us / counted, count / counted] as [string, number, number]).sort((a, b) => b[1] - a[1]);
    return { nodes: graph.node?.length ?? 0, byOp, kernels: kernels / counted };
  } catch (e) {
    return `failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
