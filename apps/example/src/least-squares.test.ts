import { registeredOptimizers } from '@ortrain/optimizers';
import { covered, runLeastSquares } from './least-squares';

test('every registered optimizer fits the least-squares data', async () => {
  const rows = await runLeastSquares();
  // The table covers every optimizer of @ortrain/optimizers' registry.
  expect(new Set(covered())).toEqual(new Set(registeredOptimizers()));
  expect(rows.map((r) => r.label)).toEqual(expect.arrayContaining(['SGD (momentum 0.9)', 'Adam', 'LAMB', 'LARS (quadra)', 'Adan', 'AdEMAMix']));
  for (const r of rows) {
    // The noise floor is ~1e-5 (noise 0.01 uniform); each optimizer gets to within a thousandth of the start.
    expect(r.final).toBeLessThan(r.initial * 1e-3);
    expect(r.at10).toBeLessThan(r.initial);
  }
});
