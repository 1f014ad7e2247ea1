import { Runtime } from '@ortrain/runtime';
import { Adam } from '../src';
import { byAlgorithm, camel, goldenEntries, replay } from './golden';

const classes = byAlgorithm;

let runtime: Runtime;
beforeAll(async () => { runtime = await Runtime.create({ executionProviders: ['cpu'] }); });

describe('torch_optim.json on the CPU provider, every entry within 1e-5 over every step', () => {
  const entries = goldenEntries('torch_optim.json', 'torch.');
  test('there are entries for every algorithm', () => {
    expect(new Set(entries.map((e) => e.name.split(/[.#]/)[1]))).toEqual(new Set(['SGD', 'Adam', 'AdamW', 'Adamax', 'Adagrad', 'RMSprop', 'RAdam', 'NAdam']));
    for (const e of entries) expect(classes[e.name.split(/[.#]/)[1]]).toBeDefined();
  });
  test.each(entries.map((e) => [e.name, e] as const))('%s', async (_, entry) => {
    const algo = entry.name.split(/[.#]/)[1];
    const { maxDiff, optimizer } = await replay(entry, classes[algo], runtime);
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
    // The final state matches torch's too (names in camelCase, same values).
    const saved = optimizer.stateDict();
    (['W', 'b'] as const).forEach((p, i) => {
      const expected = entry.final_state![p] as Record<string, unknown>;
      const got = saved.state[String(i)];
      for (const [key, value] of Object.entries(expected)) {
        if (value === null) continue;
        const name = camel(key);
        if (typeof value === 'number') {
          expect(Math.abs((got[name] as number) - value)).toBeLessThanOrEqual(name === 'step' ? 0 : 1e-6);
        } else {
          const values = (value as { values: number[] }).values;
          expect(got[name]).toBeInstanceOf(Float32Array);
          const diff = Math.max(...values.map((v, j) => Math.abs(v - (got[name] as Float32Array)[j])));
          expect(diff).toBeLessThanOrEqual(1e-5);
        }
      }
    });
    await optimizer.release();
  });
});

describe("doc_variants.json doc/dragon.Adam#* (Adam's epsilon-hat form, epsHat: true) on the CPU provider", () => {
  const entries = goldenEntries('doc_variants.json', 'doc/dragon.Adam#');
  test('all eight entries are there', () => expect(entries.length).toBe(8));
  test.each(entries.map((e) => [e.name, e] as const))('%s', async (_, entry) => {
    const { maxDiff, optimizer } = await replay(entry, (p, o) => new Adam(p, { ...o, epsHat: true }), runtime);
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
    await optimizer.release();
  });
  test('without epsHat, the eps 1e-3 entry is not reproduced (the option matters)', async () => {
    const entry = entries.find((e) => e.name === 'doc/dragon.Adam#6')!;
    await expect(replay(entry, (p, o) => new Adam(p, o), runtime)).rejects.toThrow(/differs/);
  });
});
