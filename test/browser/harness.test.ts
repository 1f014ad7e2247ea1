import type { ProviderReport } from '@ortrain/runtime';
import { join } from 'path';
import { browserTestsRun, runInBrowser } from './run-in-browser';

(browserTestsRun() ? describe : describe.skip)('runInBrowser', () => {
  test("returns the page's result, serves onnxruntime-web's files and surfaces console errors", async () => {
    const { result, errors } = await runInBrowser<{ webgpu: boolean; wasmStatus: number; wasmType: string }>(
      join(__dirname, 'pages', 'echo-page.ts'));
    expect(result).toEqual({ webgpu: false, wasmStatus: 200, wasmType: 'application/wasm' });
    expect(errors).toContain('console.error: echo-page: visible to the test');
  });

  test('without WebGPU, the runtime falls back from webgpu to wasm and keeps the reason; by default it uses wasm', async () => {
    const { result } = await runInBrowser<{ report: ProviderReport; unknown: string; defaultReport: ProviderReport }>(
      join(__dirname, 'pages', 'fallback-page.ts'));
    expect(result.defaultReport).toEqual({ platform: 'web', requested: ['wasm'], used: 'wasm', skipped: [] });
    expect(result.unknown).toBe("RangeError: executionProviders: 'cuda' is not a provider of onnxruntime on web; it has 'wasm', 'cpu', 'webgpu'");
    expect(result.report.platform).toBe('web');
    expect(result.report.used).toBe('wasm');
    expect(result.report.skipped.map((s) => s.provider)).toEqual(['webgpu']);
    expect(result.report.skipped[0].reason.length).toBeGreaterThan(0);
  });

  test("rejects with the page's error", async () => {
    await expect(runInBrowser(join(__dirname, 'pages', 'failing-page.ts'), { timeoutMs: 30000 }))
      .rejects.toThrow(/failing-page\.ts failed: Error: failing-page: boom/);
  });
});
