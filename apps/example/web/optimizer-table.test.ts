import * as optimizers from '@ortrain/optimizers';
import { Parameter } from '@ortrain/optimizers';
import { OPTIMIZERS, optimizerChoice } from './optimizer-table';

/** Every class @ortrain/optimizers exports that extends Optimizer, by its exported name. */
function exportedOptimizerClasses(): Map<string, unknown> {
  const found = new Map<string, unknown>();
  for (const [name, value] of Object.entries(optimizers)) {
    if (typeof value === 'function' && value.prototype instanceof optimizers.Optimizer) found.set(name, value);
  }
  return found;
}

describe("the page's optimizer table", () => {
  test('lists every optimizer class of @ortrain/optimizers once, under its exported name', () => {
    const exported = exportedOptimizerClasses();
    expect(exported.size).toBeGreaterThanOrEqual(8);
    expect(OPTIMIZERS.map((o) => o.name).sort()).toEqual([...exported.keys()].sort());
    for (const o of OPTIMIZERS) expect(o.Class).toBe(exported.get(o.name));
  });

  test("every entry's options are accepted by its class and reach its parameter group", () => {
    for (const o of OPTIMIZERS) {
      expect(o.options.lr).toBeGreaterThan(0);
      const optimizer = new o.Class([new Parameter('w', new Float32Array(4), [4])], o.options);
      for (const [name, value] of Object.entries(o.options)) expect([o.name, name, optimizer.paramGroups[0][name as 'lr']]).toEqual([o.name, name, value]);
    }
  });

  test('an unknown name is a RangeError listing the known ones', () => {
    expect(() => optimizerChoice('Lion')).toThrow(new RangeError(`optimizer: unknown optimizer 'Lion' (known: ${OPTIMIZERS.map((o) => o.name).join(', ')})`));
  });
});
