import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { buildWeb, ORT_FILES, serveStatic } from './build';

describe('npm run web -- --build-only', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ortrain-dist-web-'));
    await buildWeb(dir);
  }, 120000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("writes a static site with the page, its worker, the demo and onnxruntime-web's wasm files", () => {
    for (const f of ['index.html', 'main.js', 'worker.js', 'demo/digits-mlp.onnx', 'demo/digits.csv', ...ORT_FILES.map((f) => `ort/${f}`)]) {
      expect([f, existsSync(join(dir, f)) && statSync(join(dir, f)).size > 0]).toEqual([f, true]);
    }
    expect(statSync(join(dir, 'ort', 'ort-wasm-simd-threaded.jsep.wasm')).size).toBeGreaterThan(1e6);
  });

  test('nothing in it loads from another origin, and no Node module is left in the bundles', () => {
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const f of ['main.js', 'worker.js']) {
      const code = readFileSync(join(dir, f), 'utf8');
      expect([f, /cdn\.jsdelivr|unpkg\.com/.test(code)]).toEqual([f, false]);
      expect([f, /from\s*["'](node:)?(fs|path|os|onnxruntime-node)["']/.test(code)]).toEqual([f, false]);
    }
    // Only the worker loads onnxruntime-web; the page's script stays small.
    expect(readFileSync(join(dir, 'worker.js'), 'utf8')).toContain('ort-wasm-simd-threaded');
    expect(readFileSync(join(dir, 'main.js'), 'utf8')).not.toContain('ort-wasm-simd-threaded');
    // The worker sets onnxruntime-web's wasm path to the site's own ort/ folder.
    expect(readFileSync(join(dir, 'worker.js'), 'utf8')).toContain('./ort/');
  });

  test('serveStatic serves the files and nothing outside the folder', async () => {
    const { server, url } = await serveStatic(dir);
    try {
      const page = await fetch(url);
      expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
      const wasm = await fetch(`${url}ort/ort-wasm-simd-threaded.jsep.wasm`);
      expect([wasm.status, wasm.headers.get('content-type')]).toEqual([200, 'application/wasm']);
      expect((await fetch(`${url}..%2F..%2Fpackage.json`)).status).toBe(404);
      expect((await fetch(`${url}no-such-file.js`)).status).toBe(404);
    } finally {
      await new Promise((ok) => server.close(ok));
    }
  });
});
