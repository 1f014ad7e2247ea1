import { existsSync } from 'fs';
import { Tensor } from 'onnxruntime-node';
import { Adam, Parameter } from '@ortrain/optimizers';
import { SAM, Scout } from '@ortrain/wrappers';
import { TrainingSession } from '../../src/session';
import { maxDiff, mlpBatch, modelBytes } from './helpers';

// As webgpu.test.ts: SwiftShader in Node; skipped without it, except under CI.
const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const available = existsSync(process.env.VK_ICD_FILENAMES || ICD) || !!process.env.CI;
if (!available) console.log(`WebGPU wrapper session tests skipped: ${ICD} is absent and CI is not set`);
const maybe = available ? describe : describe.skip;

maybe('wrappers inside TrainingSession on WebGPU (mlp)', () => {
  const make = (ps: Parameter[]) => new Scout(new SAM(ps, Adam, { rho: 0.05, lr: 1e-2 }), { syncRate: 0.3, syncPeriod: 3 });
  const create = (executionProviders: ('webgpu' | 'cpu')[]) => TrainingSession.create({
    model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: make, executionProviders, maxGradNorm: 5,
  });

  test('Scout(SAM(Adam)): 7 steps (two syncs) match the CPU within 1e-4; state on the device reads back; a checkpoint moves across', async () => {
    const gpu = await create(['webgpu']);
    const cpu = await create(['cpu']);
    expect(gpu.runtime.provider).toBe('webgpu');
    for (let i = 0; i < 7; i++) {
      const batch = mlpBatch(32, 40 + i);
      const a = await gpu.trainStep(batch);
      const b = await cpu.trainStep(batch);
      expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-4);
    }
    expect(maxDiff(await gpu.parameters(), await cpu.parameters())).toBeLessThan(1e-4);
    await gpu.optimizer.sync();
    const slow = Array.from((gpu.optimizer as Scout).stateDict().state['0'].slow as Float32Array);
    const slowCpu = (cpu.optimizer as Scout).stateDict().state['0'].slow as Float32Array;
    expect(Math.max(...slow.map((v, j) => Math.abs(v - slowCpu[j])))).toBeLessThan(1e-4);
    // The GPU run's checkpoint continues on the CPU as the CPU run does.
    const resumed = await create(['cpu']);
    await resumed.loadCheckpoint(await gpu.checkpointBytes());
    const batch = mlpBatch(32, 99);
    await resumed.trainStep(batch);
    await cpu.trainStep(batch);
    expect(maxDiff(await resumed.parameters(), await cpu.parameters())).toBeLessThan(1e-4);
    // A NaN batch throws and changes nothing.
    const before = await gpu.parameters();
    const bad = { inputs: { input: new Tensor('float32', new Float32Array(32 * 64).fill(NaN), [32, 64]) }, labels: batch.labels };
    await expect(gpu.trainStep(bad)).rejects.toThrow(/is NaN at step 8; nothing was updated/);
    expect(maxDiff(await gpu.parameters(), before)).toBe(0);
    await Promise.all([gpu.release(), cpu.release(), resumed.release()]);
  });
});
