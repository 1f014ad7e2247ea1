import { join } from 'path';
import { bundleForBrowser } from './run-in-browser';

const REPO = join(__dirname, '..', '..');

describe('browser bundles', () => {
  test('@ortrain/runtime bundles for the browser without onnxruntime-node', async () => {
    const { code, inputs } = await bundleForBrowser(join(__dirname, 'pages', 'adam-page.ts'));
    // The workspace sources and onnxruntime-web are in; onnxruntime-node and its native binding are not.
    expect(inputs).toContain('packages/runtime/src/runtime.ts');
    expect(inputs).toContain('packages/graph-builder/src/builder.ts');
    expect(inputs.some((f) => f.includes('node_modules/onnxruntime-web/'))).toBe(true);
    expect(inputs.filter((f) => f.includes('onnxruntime-node'))).toEqual([]);
    expect(code).not.toContain('onnxruntime_binding');
  });

  test('a bundle error names the entry', async () => {
    await expect(bundleForBrowser(join(REPO, 'test', 'browser', 'no-such-entry.ts'))).rejects.toThrow(/no-such-entry\.ts/);
  });
});
