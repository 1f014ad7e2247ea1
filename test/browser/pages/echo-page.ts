// Harness check: reports what the page sees, and says something on console.error for the harness to surface.
import { runPage, webgpuRequested } from '../page';

runPage(async () => {
  console.error('echo-page: visible to the test');
  const wasm = await fetch('/ort/ort-wasm-simd-threaded.wasm');
  return { webgpu: webgpuRequested(), wasmStatus: wasm.status, wasmType: wasm.headers.get('content-type') };
});
