import { Runtime } from '@ortrain/runtime';

// The web backend's provider names, checked in Node; its sessions (wasm, webgpu) run in headless Chromium in
// test/browser, since onnxruntime-web's WASM loader needs dynamic import(), which jest's sandbox lacks.
describe('web backend (onnxruntime-web)', () => {
  test("a provider the web does not have is a RangeError listing what it has", async () => {
    await expect(Runtime.create({ platform: 'web', executionProviders: ['cuda'] }))
      .rejects.toThrow("executionProviders: 'cuda' is not a provider of onnxruntime on web; it has 'wasm', 'cpu', 'webgpu'");
  });
});
