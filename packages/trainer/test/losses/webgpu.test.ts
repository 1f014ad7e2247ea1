// The loss graphs on onnxruntime-node's WebGPU provider (SwiftShader without a GPU) against torch's values.
// Without a Vulkan driver these tests skip, except under CI, where they must run.
import { existsSync } from 'fs';
import * as ort from 'onnxruntime-node';
import { encodeModel } from '@ortrain/graph-builder';
import { resolveLoss } from '../../src/losses';
import { close, loadLossCases, lossModel, oracleNumber, ortTensor } from './oracles';

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const available = existsSync(process.env.VK_ICD_FILENAMES || ICD) || !!process.env.CI;
if (!available) console.log(`WebGPU loss tests skipped: ${ICD} is absent (install Debian's chromium and libvulkan1) and CI is not set`);
const maybe = available ? describe : describe.skip;

// WebGPU kernels are float32; the float64 cases run on the CPU tests only.
const cases = loadLossCases().filter((c) => c.prediction.dtype === 'float32');

maybe('losses on WebGPU match torch 1.13', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const resolved = resolveLoss(c.spec, c.prediction);
    const model = lossModel(resolved.build, { dtype: 'float32', shape: c.prediction.shape }, { dtype: resolved.labels.dtype, shape: c.labels.shape });
    const session = await ort.InferenceSession.create(encodeModel(model), { executionProviders: ['webgpu'], logSeverityLevel: 3 });
    try {
      const out = await session.run({
        prediction: ortTensor('float32', c.prediction.shape, c.prediction.data),
        labels: ortTensor(resolved.labels.dtype, c.labels.shape, c.labels.data),
      });
      const value = Number(out.loss.data[0]);
      expect({ value, ok: close(value, oracleNumber(c.loss), 1e-6) }).toEqual({ value, ok: true });
    } finally {
      await session.release();
    }
  });
});
