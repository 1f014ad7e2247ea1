// Browser entry: Adam steps with onnxruntime-web on WASM, and on WebGPU when the harness enabled it, through
// @ortrain/optimizers' Adam and through a hand-built update graph.
import * as ort from 'onnxruntime-web';
import { Runtime } from '@ortrain/runtime';
import { ORT_WASM_PATH } from '../paths';
import { AdamResult, graphAdamSteps, optimizerAdamSteps } from '../adam-steps';
import { runPage, webgpuRequested } from '../page';

runPage(async () => {
  ort.env.wasm.wasmPaths = ORT_WASM_PATH;
  ort.env.wasm.numThreads = 1;
  const providers = webgpuRequested() ? (['wasm', 'webgpu'] as const) : (['wasm'] as const);
  const results: AdamResult[] = [];
  for (const provider of providers) {
    // One provider per runtime, no fallback: the test must know that this provider itself ran.
    const rt = await Runtime.create({ ort, executionProviders: [provider] });
    results.push(await optimizerAdamSteps(rt));
    results.push(await graphAdamSteps(rt));
  }
  return { results };
});
