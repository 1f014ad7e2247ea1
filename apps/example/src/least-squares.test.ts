import { runLeastSquares } from './least-squares';

test('every optimizer of the least-squares table fits the data', async () => {
  const rows = await runLeastSquares();
  expect(rows.map((r) => r.label)).toEqual(expect.arrayContaining(['SGD (momentum 0.9)', 'Adam', 'RAdam', 'NAdam', 'Adagrad', 'RMSprop']));
  for (const r of rows) {
    // The noise floor is ~1e-5 (noise 0.01 uniform); each optimizer gets within a few times of it.
    expect(r.final).toBeLessThan(r.initial * 1e-3);
    expect(r.at10).toBeLessThan(r.initial);
  }
});
