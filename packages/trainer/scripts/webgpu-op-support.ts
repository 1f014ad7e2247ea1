// Whether onnxruntime-node's WebGPU provider has a kernel for each op that the max pooling backward uses:
// a one-node model per op, with verbose logs, reports where ORT placed the node (measured with onnxruntime-node
// 1.30: SpaceToDepth and ArgMax run on the CPU, DepthToSpace and ConvTranspose on WebGPU; ArgMax was on the CPU
// in every form of the backward, so SpaceToDepth adds no transfer).
// Usage (SwiftShader in Node): VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json npx tsx scripts/webgpu-op-support.ts
import { InferenceSession } from 'onnxruntime-node';
import { encodeModel, GraphBuilder } from '@ortrain/graph-builder';

function oneNode(op: string): Uint8Array {
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', [2, 4, 4, 4]);
  let y;
  if (op === 'SpaceToDepth') y = g.op('SpaceToDepth', [x], { blocksize: 2 });
  else if (op === 'DepthToSpace') y = g.op('DepthToSpace', [x], { blocksize: 2, mode: 'DCR' });
  else if (op === 'ArgMax') y = g.cast(g.op('ArgMax', [x], { axis: 1, keepdims: 1 }, { dtypes: ['int64'] }), 'float32');
  else if (op === 'ConvTranspose') y = g.op('ConvTranspose', [x, g.constant(new Float32Array(16).fill(1), 'float32', [4, 1, 2, 2])], { strides: [2, 2] });
  else throw new Error(op);
  g.output(y, 'y');
  return encodeModel(g.build());
}

async function main(): Promise<void> {
  for (const op of ['SpaceToDepth', 'DepthToSpace', 'ArgMax', 'ConvTranspose']) {
    const s = await InferenceSession.create(oneNode(op), { executionProviders: ['webgpu'], logSeverityLevel: 0, logVerbosityLevel: 0 });
    await s.release();
    console.log(`--- ${op} created`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
