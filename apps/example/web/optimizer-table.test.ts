import { Parameter, registeredOptimizers } from '@ortrain/optimizers';
import { OPTIMIZERS, buildOptimizer, optimizerChoice } from './optimizer-table';

describe("the page's optimizer table", () => {
  test("lists every optimizer of @ortrain/optimizers' registry once, under its registered name", () => {
    expect(registeredOptimizers().length).toBeGreaterThanOrEqual(16);
    expect(OPTIMIZERS.map((o) => o.name).sort()).toEqual([...registeredOptimizers()].sort());
  });

  test("every entry's options are accepted by its class and reach its parameter group", () => {
    for (const o of OPTIMIZERS) {
      expect(o.options.lr).toBeGreaterThan(0);
      const optimizer = buildOptimizer(o, [new Parameter('w', new Float32Array(4), [4])], o.options);
      for (const [name, value] of Object.entries(o.options)) expect([o.name, name, optimizer.paramGroups[0][name as 'lr']]).toEqual([o.name, name, value]);
    }
  });

  test('an unknown name is a RangeError listing the known ones', () => {
    expect(() => optimizerChoice('Lion')).toThrow(new RangeError(`optimizer: unknown optimizer 'Lion' (known: ${OPTIMIZERS.map((o) => o.name).join(', ')})`));
  });
});
