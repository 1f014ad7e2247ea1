// Browser entry: Adam steps with onnxruntime-web on WASM, and on WebGPU when the harness enabled it.
import * as ort from 'onnxruntime-web';
import { Runtime } from '@ortrain/runtime';
import { adamSteps } from './adam-steps';
import { runPage, webgpuRequested } from './page';

runPage(async () => {
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = 1;
  const wasm = await adamSteps(await Runtime.create({ ort, executionProviders: ['wasm'] }));
  const results = [wasm];
  if (webgpuRequested()) {
    // No fallback here: the test must know that WebGPU itself ran.
    const rt = await Runtime.create({ ort, executionProviders: ['webgpu'] });
    results.push(await adamSteps(rt));
  }
  return { results, hasGpu: 'gpu' in navigator };
});
