import { Runtime } from '@ortrain/runtime';
import { make, targets } from './catalogue-targets';
import { replay } from './golden';

let runtime: Runtime;
beforeAll(async () => { runtime = await Runtime.create({ executionProviders: ['cpu'] }); });
afterAll(async () => { await runtime.release(); });

describe('holocron, quadra and documented/official variants on the CPU provider, every step within 1e-5', () => {
  const all = targets();
  test('every algorithm has entries', () => {
    expect(new Set(all.map((t) => t.name))).toEqual(new Set(['LARS', 'LAMB', 'RaLars', 'TAdam', 'AdaBelief', 'AdamP', 'Adan', 'AdEMAMix']));
  });
  test.each(all.map((t) => [t.entry.name, t] as const))('%s', async (_, t) => {
    const { maxDiff, optimizer } = await replay(t.entry, make(t, runtime), runtime);
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
    await optimizer.release();
  });
});
