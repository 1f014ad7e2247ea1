import * as fs from 'fs';
import { Runtime } from '@ortrain/runtime';
import { make, targets } from './catalogue-targets';
import { replay } from './golden';

// WebGPU in Node runs on SwiftShader on machines without a GPU; without it (and outside CI) these tests skip.
const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const available = fs.existsSync(ICD) || !!process.env.CI;
if (!available) console.log(`WebGPU tests skipped: ${ICD} is absent (install Debian's chromium) and CI is not set`);
const maybe = available ? describe : describe.skip;

maybe('one golden entry of each catalogue algorithm on WebGPU, state on the device', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await Runtime.create({ executionProviders: ['webgpu'] });
    expect(runtime.provider).toBe('webgpu');
  });
  afterAll(async () => { await runtime?.release(); });
  // The richest entry of each: weight decay, scaleClip, amsgrad, per-tensor state where the algorithm has them.
  const chosen = ['quadra.LARS#4', 'doc/holocron.LAMB#4', 'doc/holocron.RaLars#6@sma>5', 'holocron.TAdam#3',
    'official/adabelief-pytorch/holocron.AdaBelief#3', 'holocron.AdamP#6', 'official/sail-sg-Adan/holocron.Adan#2',
    'official/apple-ademamix/holocron.AdEMAMix#2'];
  const all = targets();
  test.each(chosen)('%s within 1e-5', async (name) => {
    const t = all.find((x) => x.entry.name === name)!;
    expect(t).toBeDefined();
    const { maxDiff, optimizer } = await replay(t.entry, make(t, runtime), runtime);
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
    await optimizer.release();
  });
});
