// Builds a WebGPU TrainingSession of a fixture (SwiftShader in Node: set VK_ICD_FILENAMES) and runs a few
// steps, so that onnxruntime's warning about nodes placed on the CPU shows whether every node of the step
// graph has a WebGPU kernel. Usage: npx tsx scripts/webgpu-placement.ts [lenet|mlp]
import { join } from 'path';
import { Tensor } from 'onnxruntime-node';
import { Adam } from '@ortrain/optimizers';
import { TrainingSession } from '../src';

async function main(): Promise<void> {
  const model = process.argv[2] ?? 'lenet';
  const sample = model === 'mlp' ? [64] : [1, 28, 28];
  const session = await TrainingSession.create({
    model: join(__dirname, '..', '..', '..', 'fixtures', 'models', `${model}.onnx`), loss: 'cross_entropy',
    optimizer: (params) => new Adam(params, { lr: 1e-3 }), executionProviders: ['webgpu'],
  });
  const size = 8 * sample.reduce((a, b) => a * b, 1);
  const batch = {
    inputs: { input: new Tensor('float32', Float32Array.from({ length: size }, Math.random), [8, ...sample]) },
    labels: new Tensor('int64', BigInt64Array.from({ length: 8 }, (_, i) => BigInt(i % 10)), [8]),
  };
  for (let i = 0; i < 3; i++) console.log(`step ${i}: loss ${(await session.trainStep(batch)).loss}`);
  await session.release();
}

main().catch((e) => { console.error(e); process.exit(1); });
