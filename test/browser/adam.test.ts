import { Runtime } from '@ortrain/runtime';
import { join } from 'path';
import { AdamResult, SIZE, STEPS, graphAdamSteps, optimizerAdamSteps, problem } from './adam-steps';
import { browserTestsRun, runInBrowser } from './run-in-browser';

/** The same steps in float64 arithmetic: both runtimes must be within float32 rounding of it. */
function reference(): number[] {
  const { p0, grads } = problem();
  const p = Array.from(p0);
  const m = new Array<number>(SIZE).fill(0);
  const v = new Array<number>(SIZE).fill(0);
  for (let t = 1; t <= STEPS; t++) {
    for (let i = 0; i < SIZE; i++) {
      const g = grads[t - 1][i];
      m[i] = 0.9 * m[i] + 0.1 * g;
      v[i] = 0.999 * v[i] + 0.001 * g * g;
      p[i] -= (0.01 / (1 - 0.9 ** t)) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - 0.999 ** t) + 1e-8));
    }
  }
  return p;
}

function maxDiff(a: number[], b: number[]): number {
  expect(a).toHaveLength(b.length);
  return a.reduce((worst, x, i) => Math.max(worst, Math.abs(x - b[i])), 0);
}

(browserTestsRun() ? describe : describe.skip)('Adam in headless Chromium matches Node', () => {
  let node: AdamResult;
  let nodeGraph: AdamResult;
  beforeAll(async () => {
    const rt = await Runtime.create({ executionProviders: ['cpu'] });
    node = await optimizerAdamSteps(rt);
    nodeGraph = await graphAdamSteps(rt);
  });

  test('on Node cpu, @ortrain/optimizers and the hand-built graph both give the Adam update', () => {
    expect([node.provider, nodeGraph.provider, nodeGraph.location]).toEqual(['cpu', 'cpu', 'cpu']);
    expect(maxDiff(node.params, reference())).toBeLessThan(1e-5);
    expect(maxDiff(nodeGraph.params, node.params)).toBeLessThan(1e-6);
    expect(maxDiff(nodeGraph.expAvg, node.expAvg)).toBeLessThan(1e-6);
    expect(maxDiff(nodeGraph.expAvgSq, node.expAvgSq)).toBeLessThan(1e-6);
    // Every parameter moved: an update that did nothing would fail here.
    const { p0 } = problem();
    expect(node.params.every((x, i) => Math.abs(x - p0[i]) > 1e-4)).toBe(true);
  });

  test('onnxruntime-web on wasm and on webgpu (SwiftShader) give the same values as Node cpu', async () => {
    const { result, errors } = await runInBrowser<{ results: AdamResult[] }>(join(__dirname, 'pages', 'adam-page.ts'), { webgpu: true });
    expect(result.results.map((r) => `${r.via}/${r.provider}/${r.location ?? '-'}`)).toEqual([
      'optimizer/wasm/-', 'graph/wasm/cpu',
      // On WebGPU the graph's state stayed on the device between steps and was read back at the end.
      'optimizer/webgpu/-', 'graph/webgpu/gpu-buffer',
    ]);
    for (const r of result.results) {
      expect(maxDiff(r.params, node.params)).toBeLessThan(1e-6);
      expect(maxDiff(r.expAvg, node.expAvg)).toBeLessThan(1e-6);
      expect(maxDiff(r.expAvgSq, node.expAvgSq)).toBeLessThan(1e-6);
    }
    expect(errors.filter((e) => e.startsWith('page error'))).toEqual([]);
  });
});
