// stateDict / loadStateDict: a damper interrupted at any point (between updates or between next() and record())
// and resumed from a JSON copy of its state continues with the same records as adadamp.json.
import { BaseDamper } from '../src';
import { compare, goldenEntries, makeDamper, recordOf } from './golden';

const entries = goldenEntries();

async function drive(d: BaseDamper, records: ReturnType<typeof goldenEntries>[number]['records'], from: number, to: number, bad: string[]): Promise<void> {
  for (const g of records.slice(from, to)) {
    const before = d.meta;
    const step = await d.next();
    d.record(recordOf(g.k, step.batchSize));
    bad.push(...compare(g, before, step, d.meta));
  }
}

describe.each(entries.map((e) => [e.name, e] as const))('%s', (_name, entry) => {
  test.each([1, 6, 11, 21, 37, 60])('resumed after update %i, and in the middle of the next one', async (at) => {
    const bad: string[] = [];
    // Between updates.
    const a = makeDamper(entry);
    await drive(a, entry.records, 0, at, bad);
    const b = makeDamper(entry);
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())));
    expect(b.meta).toEqual(a.meta);
    await drive(b, entry.records, at, entry.n_updates, bad);
    // Between next() and record(): the decision travels with the state, damping() is not evaluated again.
    const c = makeDamper(entry);
    await drive(c, entry.records, 0, at - 1, bad);
    const before = c.meta;
    const step = await c.next();
    const d = makeDamper(entry);
    d.loadStateDict(JSON.parse(JSON.stringify(c.stateDict())));
    expect(await d.next()).toEqual(step);
    d.record(recordOf(at - 1, step.batchSize));
    bad.push(...compare(entry.records[at - 1], before, step, d.meta));
    await drive(d, entry.records, at, entry.n_updates, bad);
    expect(bad).toEqual([]);
    expect(d.meta.modelUpdates).toBe(entry.n_updates);
  });
});
