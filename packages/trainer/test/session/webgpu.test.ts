import { existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Adam } from '@ortrain/optimizers';
import { TrainingSession } from '../../src/session';
import { maxDiff, mlpBatch, modelBytes } from './helpers';

// WebGPU in Node runs on SwiftShader on machines without a GPU (the jest environment points the Vulkan
// loader at it). Without it these tests skip, except under CI, where they must run and fail.
const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const available = existsSync(process.env.VK_ICD_FILENAMES || ICD) || !!process.env.CI;
if (!available) console.log(`WebGPU session tests skipped: ${ICD} is absent (install Debian's chromium and libvulkan1) and CI is not set`);
const maybe = available ? describe : describe.skip;

maybe('TrainingSession on WebGPU (mlp)', () => {
  const create = (executionProviders: ('webgpu' | 'cpu')[], extra: object = {}) => TrainingSession.create({
    model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: (p) => new Adam(p, { lr: 1e-2 }), executionProviders, ...extra,
  });

  test('trainStep matches the CPU within 1e-4', async () => {
    const gpu = await create(['webgpu']);
    const cpu = await create(['cpu']);
    expect(gpu.runtime.provider).toBe('webgpu');
    for (let i = 0; i < 3; i++) {
      const batch = mlpBatch(32, i);
      const a = await gpu.trainStep(batch);
      const b = await cpu.trainStep(batch);
      expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-4);
    }
    expect(maxDiff(await gpu.parameters(), await cpu.parameters())).toBeLessThan(1e-4);
    const batch = mlpBatch(8, 9);
    const ea = await gpu.evalStep(batch);
    const eb = await cpu.evalStep(batch);
    expect(Math.abs(ea.loss - eb.loss)).toBeLessThan(1e-4);
    await Promise.all([gpu.release(), cpu.release()]);
  });

  test('accumulation with clipping, checkpoint and export match the CPU', async () => {
    const opts = { gradientAccumulationSteps: 2, maxGradNorm: 0.1 };
    const gpu = await create(['webgpu'], opts);
    const cpu = await create(['cpu'], opts);
    for (let i = 0; i < 3; i++) {
      await gpu.trainStep(mlpBatch(16, 30 + i));
      await cpu.trainStep(mlpBatch(16, 30 + i));
    }
    expect(maxDiff(await gpu.parameters(), await cpu.parameters())).toBeLessThan(1e-4);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ortrain-webgpu-'));
    try {
      // Saved mid-cycle: the device accumulators and state are read back into the checkpoint.
      await gpu.saveCheckpoint(path.join(dir, 'gpu.ckpt'));
      const resumed = await create(['cpu'], opts);
      await resumed.loadCheckpoint(path.join(dir, 'gpu.ckpt'));
      await resumed.trainStep(mlpBatch(16, 40));
      await cpu.trainStep(mlpBatch(16, 40));
      expect(maxDiff(await resumed.parameters(), await cpu.parameters())).toBeLessThan(1e-4);
      await resumed.release();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
    expect((await gpu.exportModel()).length).toBeGreaterThan(30000);
    await Promise.all([gpu.release(), cpu.release()]);
  });
});
