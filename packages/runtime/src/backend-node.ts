import type { Backend } from './backend';
import type { ExecutionProvider, OrtModule } from './types';

// The module name sits in a variable and `require` is reached indirectly so that bundlers (esbuild, webpack)
// leave onnxruntime-node out of browser bundles; it is loaded only when a Node runtime is created.
const ORT_NODE = 'onnxruntime-node';

function loadOrtNode(): OrtModule {
  const load = typeof require === 'function' ? require : undefined;
  if (!load) throw new Error(`${ORT_NODE} can only be loaded in Node; pass { ort } to Runtime.create in a browser`);
  return load(ORT_NODE) as OrtModule;
}

/** onnxruntime-node: CPU, WebGPU (Dawn on Vulkan, Metal or D3D12) and CUDA (installed separately). */
export function nodeBackend(ort: OrtModule = loadOrtNode()): Backend {
  const providers: ExecutionProvider[] = ['cpu', 'webgpu', 'cuda'];
  return { platform: 'node', providers, defaultProviders: ['cpu'], canDownload: false, ort };
}
