import { historyCsv, trainDigits } from './damped-digits';

// The digits MLP trained for 10 epochs (10 x 1438 examples) through fit: a fixed batch of 32, and three of
// adadamp's dampers. Each damped run reaches the fixed run's held-out accuracy.
describe('dampers drive fit on the digits MLP', () => {
  let fixed: Awaited<ReturnType<typeof trainDigits>>;
  beforeAll(async () => {
    fixed = await trainDigits('fixed');
  });

  test('the fixed-batch run: batches of 32, 10 epochs, well above chance', () => {
    expect(new Set(fixed.history.updates.map((u) => u.batchSize))).toEqual(new Set([32, fixed.trainRows % 32]));
    expect(fixed.history.epochs.length).toBe(10);
    expect(fixed.accuracy).toBeGreaterThan(0.93);
  });

  test('PadaDamp grows the batch (ceil(8 + 0.1 k)) and reaches the fixed run', async () => {
    const run = await trainDigits('padadamp');
    const sizes = run.history.updates.map((u) => u.batchSize);
    sizes.forEach((b, k) => expect(b).toBe(Math.ceil(8 + 0.1 * k)));
    expect(sizes[sizes.length - 1]).toBeGreaterThan(50);
    expect(run.accuracy).toBeGreaterThanOrEqual(fixed.accuracy);
    expect(historyCsv(run.history, 100).split('\n')[1]).toBe(`1,8,8,0.05,${run.history.updates[0].loss.toFixed(4)}`);
  });

  test('GeoDamp doubles the batch every 2 epochs (8 to 128) and reaches the fixed run', async () => {
    const run = await trainDigits('geodamp');
    const sizes = run.history.updates.map((u) => u.batchSize);
    expect([...new Set(sizes)]).toEqual([8, 16, 32, 64, 128]);
    expect(run.history.updates.every((u) => u.lr === 0.05)).toBe(true);
    expect(run.accuracy).toBeGreaterThanOrEqual(fixed.accuracy);
  });

  test('GeoDampLR keeps the batch at 32 and halves the lr every 3 epochs instead, and reaches the fixed run', async () => {
    const run = await trainDigits('geodamplr');
    expect(run.history.updates.every((u) => u.batchSize === 32)).toBe(true);
    expect([...new Set(run.history.updates.map((u) => u.lr))]).toEqual([0.05, 0.025, 0.0125, 0.00625]);
    expect(run.accuracy).toBeGreaterThanOrEqual(fixed.accuracy);
  });
});
