import { Runtime } from '@ortrain/runtime';
import { entries, replaySAM, replaySlow } from './golden';

let runtime: Runtime;
beforeAll(async () => { runtime = await Runtime.create({ executionProviders: ['cpu'] }); });
afterAll(async () => { await runtime.release(); });

describe('quadra.json SAM entries on the CPU provider, within 1e-5 at every step', () => {
  const sams = entries('quadra.json', 'quadra.SAM#');
  test('there are five (SGD and Adam bases, adaptive on and off)', () => expect(sams.length).toBe(5));
  test.each(sams.map((e) => [e.name, e] as const))('%s: trajectory and perturbed trajectory', async (_, e) => {
    const r = await replaySAM(e, runtime);
    expect(r.perturbed).toBeLessThanOrEqual(1e-5);
    expect(r.trajectory).toBeLessThanOrEqual(1e-5);
    await r.sam.release();
  });
});

describe('holocron.json Lookahead and Scout entries on the CPU provider, within 1e-5 at every step', () => {
  const slow = [...entries('holocron.json', 'holocron.Lookahead#'), ...entries('holocron.json', 'holocron.Scout#')];
  test('there are three of each', () => expect(slow.length).toBe(6));
  test.each(slow.map((e) => [e.name, e] as const))('%s: fast and slow trajectories, sync rates', async (_, e) => {
    const r = await replaySlow(e, runtime);
    expect(r.trajectory).toBeLessThanOrEqual(1e-5);
    expect(r.slow).toBeLessThanOrEqual(1e-5);
    expect(r.rates).toBeLessThanOrEqual(1e-5);
    await r.wrapper.release();
  });
});
