import * as fs from 'fs';
import { Runtime } from '@ortrain/runtime';
import { entries, replaySAM, replaySlow } from './golden';

// WebGPU in Node runs on SwiftShader on machines without a GPU; without it (and outside CI) these tests skip.
const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const available = fs.existsSync(ICD) || !!process.env.CI;
if (!available) console.log(`WebGPU tests skipped: ${ICD} is absent (install Debian's chromium) and CI is not set`);
const maybe = available ? describe : describe.skip;

maybe('one golden entry of each wrapper on WebGPU, within 1e-5', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await Runtime.create({ executionProviders: ['webgpu'] });
    expect(runtime.provider).toBe('webgpu');
  });
  afterAll(async () => { await runtime?.release(); });

  test('quadra.SAM#4 (ASAM over Adam)', async () => {
    const r = await replaySAM(entries('quadra.json', 'quadra.SAM#4')[0], runtime);
    expect(r.perturbed).toBeLessThanOrEqual(1e-5);
    expect(r.trajectory).toBeLessThanOrEqual(1e-5);
    await r.sam.release();
  });

  test.each([['holocron.Lookahead#1'], ['holocron.Scout#2']])('%s', async (name) => {
    const r = await replaySlow(entries('holocron.json', name)[0], runtime);
    expect(r.trajectory).toBeLessThanOrEqual(1e-5);
    expect(r.slow).toBeLessThanOrEqual(1e-5);
    expect(r.rates).toBeLessThanOrEqual(1e-5);
    await r.wrapper.release();
  });
});
