// Provider choice in the browser: with WebGPU off, ['webgpu', 'wasm'] must fall back to wasm and say why;
// with nothing named, the runtime loads onnxruntime-web and uses wasm.
import * as ort from 'onnxruntime-web';
import { Runtime } from '@ortrain/runtime';
import { ORT_WASM_PATH } from '../paths';
import { runPage } from '../page';

runPage(async () => {
  ort.env.wasm.wasmPaths = ORT_WASM_PATH;
  ort.env.wasm.numThreads = 1;
  let unknown = '';
  try {
    await Runtime.create({ ort, executionProviders: ['cuda'] });
  } catch (e) {
    unknown = `${(e as Error).name}: ${(e as Error).message}`;
  }
  const rt = await Runtime.create({ ort, executionProviders: ['webgpu', 'wasm'] });
  // Without `ort`, the runtime imports onnxruntime-web itself (the same module instance as above).
  const byDefault = await Runtime.create();
  return { report: rt.providerReport(), unknown, defaultReport: byDefault.providerReport() };
});
