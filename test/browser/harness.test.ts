import { join } from 'path';
import { browserTestsRun, runInBrowser } from './run-in-browser';

(browserTestsRun() ? describe : describe.skip)('runInBrowser', () => {
  test("returns the page's result, serves onnxruntime-web's files and surfaces console errors", async () => {
    const { result, errors } = await runInBrowser<{ webgpu: boolean; wasmStatus: number; wasmType: string }>(
      join(__dirname, 'pages', 'echo-page.ts'));
    expect(result).toEqual({ webgpu: false, wasmStatus: 200, wasmType: 'application/wasm' });
    expect(errors).toContain('console.error: echo-page: visible to the test');
  });

  test("rejects with the page's error", async () => {
    await expect(runInBrowser(join(__dirname, 'pages', 'failing-page.ts'), { timeoutMs: 30000 }))
      .rejects.toThrow(/failing-page\.ts failed: Error: failing-page: boom/);
  });
});
