// The update path of large groups on onnxruntime-node's CPU: when a group is chunked, in which chunks, on how
// many threads, and that its outputs land in the group's own two buffers (nothing allocated per step).
import { Runtime as RuntimeClass } from '@ortrain/runtime';
import { Adam, LAMB, LARS, Parameter, SGD } from '../src';
import { CHUNK, updatePath } from '../src/update-path';

let runtime: RuntimeClass;
beforeAll(async () => { runtime = await RuntimeClass.create({ executionProviders: ['cpu'] }); });

const gradValue = (t: number, i: number) => (((i * 7919 + t * 104729) % 2003) / 1001.5 - 1);
function makeParams(sizes: number[]): Parameter[] {
  return sizes.map((n, k) => new Parameter(`p${k}`, Float32Array.from({ length: n }, (_, i) => Math.sin(i + k)), [n]));
}
function setGrads(ps: Parameter[], t: number): void {
  let at = 0;
  for (const p of ps) {
    const from = at;
    p.grad = Float32Array.from({ length: p.size }, (_, i) => gradValue(t, from + i));
    at += p.size;
  }
}
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}
const chunkKeys = (opt: { stores: { sessions: { keys(): string[] } }[] }) => opt.stores.flatMap((s) => s.sessions.keys()).filter((k) => k.includes('|chunks '));

describe('the update path', () => {
  test('bad chunkSize, chunkAbove or intraOpNumThreads throw a RangeError naming the option and value', () => {
    const ps = makeParams([4]);
    expect(() => new Adam(ps, { chunkSize: 0 })).toThrow(/Adam: invalid chunkSize 0 \(must be an integer >= 1\)/);
    expect(() => new Adam(ps, { chunkSize: 1.5 })).toThrow(RangeError);
    expect(() => new Adam(ps, { chunkAbove: -1 })).toThrow(/invalid chunkAbove -1/);
    expect(() => new Adam(ps, { intraOpNumThreads: 'two' as never })).toThrow(/invalid intraOpNumThreads two/);
    // They are not options of the algorithm: getConfig() does not carry them.
    expect(new Adam(ps, { chunkSize: 1000 }).getConfig().options).not.toHaveProperty('chunkSize');
  });

  test('defaults: chunks of 256K from two chunks up; one thread below 4M elements on up to 2 cores; options override', () => {
    const small = updatePath('Adam', {}, 2);
    expect([small.chunkSize, small.chunkAbove]).toEqual([CHUNK, 2 * CHUNK]);
    expect(CHUNK).toBe(262144);
    expect([small.threads(400), small.threads(1e6), small.threads(5e6)]).toEqual([1, 1, 0]);
    const big = updatePath('Adam', {}, 16);
    expect([big.threads(400), big.threads(1e6), big.threads(5e6)]).toEqual([1, 0, 0]);
    const set = updatePath('Adam', { chunkSize: 1000, intraOpNumThreads: 3 }, 2);
    expect([set.chunkSize, set.chunkAbove, set.threads(400), set.threads(5e6)]).toEqual([1000, 2000, 3, 3]);
  });

  test('a group of 600000 elements runs in chunks of 262144, one of 500000 does not; both give the unchunked numbers', async () => {
    const run = async (sizes: number[], chunked: boolean) => {
      const ps = makeParams(sizes);
      const opt = new Adam(ps, { lr: 0.01, runtime, ...(chunked ? {} : { chunkAbove: Number.MAX_SAFE_INTEGER }) });
      for (let t = 1; t <= 3; t++) {
        setGrads(ps, t);
        await opt.step();
      }
      const keys = chunkKeys(opt);
      await opt.release();
      return { keys, values: ps.map((p) => p.data) };
    };
    const big = await run([350000, 250000], true);
    expect(big.keys).toHaveLength(1);
    expect(big.keys[0].endsWith('|chunks 262144,262144,75712')).toBe(true);
    const bigRef = await run([350000, 250000], false);
    expect(bigRef.keys).toHaveLength(0);
    big.values.forEach((v, k) => expect(maxDiff(v, bigRef.values[k])).toBeLessThanOrEqual(1e-7));
    expect((await run([500000], true)).keys).toHaveLength(0);
  });

  test('chunkSize and chunkAbove options choose the chunks', async () => {
    const ps = makeParams([70000]);
    const opt = new SGD(ps, { lr: 0.1, momentum: 0.9, runtime, chunkSize: 30000, chunkAbove: 0 });
    setGrads(ps, 1);
    await opt.step();
    expect(chunkKeys(opt)).toHaveLength(1);
    expect(chunkKeys(opt)[0].endsWith('|chunks 30000,30000,10000')).toBe(true);
    await opt.release();
  });

  test('a chunked step writes its outputs into the group\'s two buffers: no array is allocated per step', async () => {
    const ps = makeParams([200000, 100000]);
    const opt = new Adam(ps, { lr: 0.01, runtime, chunkSize: 65536, chunkAbove: 0 });
    const seen = { param: new Set<ArrayBufferLike>(), expAvg: new Set<ArrayBufferLike>(), expAvgSq: new Set<ArrayBufferLike>() };
    for (let t = 1; t <= 6; t++) {
      setGrads(ps, t);
      const before = ps.map((p) => p.data);
      await opt.step();
      // Each step flips to the other buffer (the one the step before read from), in place.
      ps.forEach((p, k) => expect(p.data.buffer).not.toBe(before[k].buffer));
      expect(ps[1].data.buffer).toBe(ps[0].data.buffer);
      seen.param.add(ps[0].data.buffer);
      seen.expAvg.add(opt.stores[0].hostStateNow('expAvg')!.buffer);
      seen.expAvgSq.add(opt.stores[0].hostStateNow('expAvgSq')!.buffer);
    }
    // The initial buffer, then two that alternate... the initial one is the first spare: two in all.
    expect(seen.param.size).toBe(2);
    expect(seen.expAvg.size).toBe(2);
    expect(seen.expAvgSq.size).toBe(2);
    expect(chunkKeys(opt)[0].endsWith('|chunks 65536,65536,65536,65536,37856')).toBe(true);
    await opt.release();
  });

  test('flat gradient views are fed in place step after step; a .grad replaced by another array is seen', async () => {
    const a = makeParams([3, 5]);
    const b = makeParams([3, 5]);
    const flat = new Adam(a, { lr: 0.1, runtime });
    const plain = new Adam(b, { lr: 0.1, runtime });
    flat.useFlatGrads();
    const views = a.map((p) => p.grad!);
    for (let t = 1; t <= 4; t++) {
      setGrads(b, t);
      // Steps 1, 2 and 4 write into the views; step 3 replaces one gradient with an array of its own.
      if (t === 3) a[1].grad = Float32Array.from(b[1].grad!);
      else a[1].grad = views[1];
      a[0].grad!.set(b[0].grad!);
      if (t !== 3) a[1].grad.set(b[1].grad!);
      await flat.step();
      await plain.step();
      a.forEach((p, k) => expect(Array.from(p.data)).toEqual(Array.from(b[k].data)));
    }
    await flat.release();
    await plain.release();
  });

  test('small groups keep every p.data the same array step after step', async () => {
    const ps = makeParams([4, 4, 4]);
    const opt = new Adam(ps, { lr: 0.01, runtime });
    const held = ps.map((p) => p.data);
    for (let t = 1; t <= 3; t++) {
      setGrads(ps, t);
      await opt.step();
      ps.forEach((p, k) => expect(p.data).toBe(held[k]));
    }
    expect(maxDiff(held[0], makeParams([4])[0].data)).toBeGreaterThan(1e-3);
    await opt.release();
  });

  // Per-tensor norms need a whole tensor; a chunk may cut one. With chunks far smaller than the tensors, one
  // group of two tensors still gives the numbers of each tensor in its own group.
  test.each([
    ['LAMB', (g: Parameter[][], o: object) => new LAMB(g.map((params) => ({ params })), { lr: 0.01, weightDecay: 0.01, runtime, ...o })],
    ['LARS', (g: Parameter[][], o: object) => new LARS(g.map((params) => ({ params })), { lr: 0.1, momentum: 0.9, weightDecay: 0.01, runtime, ...o })],
  ])('%s keeps per-tensor norms right with chunkSize far below the tensor sizes', async (_, make) => {
    const [a, b] = makeParams([70000, 50000]);
    const [a2, b2] = [a, b].map((p) => new Parameter(`${p.name}'`, Float32Array.from(p.data), [p.size]));
    const one = make([[a, b]], { chunkSize: 16384, chunkAbove: 0 });
    const apart = make([[a2], [b2]], {});
    for (let t = 1; t <= 4; t++) {
      setGrads([a, b], t);
      a2.grad = Float32Array.from(a.grad!);
      b2.grad = Float32Array.from(b.grad!);
      await one.step();
      await apart.step();
    }
    expect(chunkKeys(one as never)).toHaveLength(0);
    expect(maxDiff(a.data, a2.data)).toBeLessThanOrEqual(1e-6);
    expect(maxDiff(b.data, b2.data)).toBeLessThanOrEqual(1e-6);
    expect(maxDiff(a.data, makeParams([70000])[0].data)).toBeGreaterThan(1e-4);
    await one.release();
    await apart.release();
  });
});
