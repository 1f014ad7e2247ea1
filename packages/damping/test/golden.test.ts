// Every entry of adadamp.json, driven as its `driver` says: batch sizes and counters exact, lr and damping
// within 1e-12 relative.
import { compare, goldenEntries, makeDamper, recordOf } from './golden';

const entries = goldenEntries();

test('adadamp.json has the entries this file replays', () => {
  expect(entries.length).toBe(63);
});

describe.each(entries.map((e) => [e.name, e] as const))('%s', (_name, entry) => {
  test('every record', async () => {
    const d = makeDamper(entry);
    expect(d.maxBatchSize).toBe(entry.max_batch_size);
    const bad: string[] = [];
    for (const g of entry.records) {
      const before = d.meta;
      const step = await d.next();
      d.record(recordOf(g.k, Math.min(step.batchSize, entry.dataset_size)));
      bad.push(...compare(g, before, step, d.meta));
    }
    expect(bad).toEqual([]);
    expect(d.meta.modelUpdates).toBe(entry.n_updates);
  });
});
