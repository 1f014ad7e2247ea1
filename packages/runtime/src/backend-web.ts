import type { Backend } from './backend';
import type { ExecutionProvider, OrtModule } from './types';

/**
 * onnxruntime-web: WASM (also named 'cpu', as onnxruntime-web does) and WebGPU. The caller passes the module,
 * having set `ort.env.wasm.wasmPaths` where its .wasm/.mjs files are served; otherwise it is imported here.
 */
export async function webBackend(ort?: OrtModule): Promise<Backend> {
  const module = ort ?? ((await import('onnxruntime-web')) as unknown as OrtModule);
  const providers: ExecutionProvider[] = ['wasm', 'cpu', 'webgpu'];
  return { platform: 'web', providers, defaultProviders: ['wasm'], canDownload: true, ort: module };
}
