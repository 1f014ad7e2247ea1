// The bench's browser section (issue 9): digits MLP training steps per second at batch 32 in headless
// Chromium, ortrain on onnxruntime-web's WASM and WebGPU (SwiftShader here: no GPU) against TensorFlow.js's
// wasm backend in the same page. The page (page.ts) times its own steps; nothing here asserts a time.
import { existsSync } from 'fs';
import { dirname, join } from 'path';
import { CHROMIUM, runInBrowser } from '../../test/browser/run-in-browser';
import { fmt, markdownTable } from '../table';
import type { BrowserBenchResult } from './page';

const ORTRAIN = ['ortrain WASM', 'ortrain WebGPU'];
const TFJS = 'TensorFlow.js wasm';

export async function browserSection(options: { quick: boolean }): Promise<string> {
  if (!existsSync(CHROMIUM)) return `_not measured: Chromium is missing at ${CHROMIUM} (apt-get install chromium)._`;
  const tfjsDist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  const query = options.quick ? '&rounds=3&block=0.1' : '&rounds=9&block=0.2';
  const { result } = await runInBrowser<BrowserBenchResult>(join(__dirname, 'page.ts'), {
    webgpu: true,
    timeoutMs: 600000,
    query,
    assets: { '/tfjs/': tfjsDist, '/models/': join(__dirname, '..', '..', 'apps', 'example', 'models') },
  });
  const stepsPerSecond = (name: string): number | undefined => {
    const t = result.timings[name];
    return t && 'secondsPerStep' in t ? 1 / t.secondsPerStep : undefined;
  };
  const tfjs = stepsPerSecond(TFJS);
  const rows = [...ORTRAIN, TFJS].map((name) => {
    const t = result.timings[name];
    const sps = stepsPerSecond(name);
    if (!t || sps === undefined) return [name, t && 'failed' in t ? `failed: ${t.failed}` : 'not run', '', ''];
    return [name, fmt(sps), tfjs ? `${(sps / tfjs).toFixed(2)}x` : '', String((t as { reps: number }).reps)];
  });
  for (const r of rows) console.log(`  ${r[0]}: ${r[1]} steps/s`);
  const wasm = stepsPerSecond('ortrain WASM');
  const met = wasm !== undefined && tfjs !== undefined ? (wasm > tfjs ? 'yes' : 'NO') : 'not measured';
  const chrome = /Chrome\/[\d.]+/.exec(result.userAgent)?.[0] ?? result.userAgent;
  return [
    '### Digits MLP training steps per second in headless Chromium, batch 32 (higher is better)',
    '',
    markdownTable(['contestant', 'steps/s', 'vs TensorFlow.js wasm', 'steps per block'], rows),
    '',
    `- Target (issue 9): ortrain WASM ahead of TensorFlow.js wasm in the same browser: ${met}.`,
    `- ${chrome}, headless; WebGPU on SwiftShader (a CPU Vulkan: no GPU here, so WebGPU is far slower than it is on a real GPU). ` +
      'One thread each (onnxruntime-web numThreads 1, tfjs-backend-wasm setThreadsCount(1)); every step reads its loss back.',
  ].join('\n');
}
