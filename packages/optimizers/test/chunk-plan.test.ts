import { planChunks } from '../src/chunk-plan';

const slotsOf = (sizes: number[]) => {
  let offset = 0;
  return sizes.map((size) => { const s = { offset, size, shape: [size] }; offset += size; return s; });
};

describe('planChunks', () => {
  test('a large tensor is cut into equal pieces of at most chunkSize, each inside the tensor', () => {
    expect(planChunks(slotsOf([70000]), 30000)).toEqual({
      chunks: [{ offset: 0, size: 23334, tensor: 0 }, { offset: 23334, size: 23333, tensor: 0 }, { offset: 46667, size: 23333, tensor: 0 }],
      gathered: [],
    });
    expect(planChunks(slotsOf([350000, 250000]), 262144).chunks.map((c) => [c.size, c.tensor])).toEqual([[175000, 0], [175000, 0], [250000, 1]]);
  });

  test('runs of tensors under a quarter chunk share chunks fed from the gathered buffer', () => {
    const plan = planChunks(slotsOf([10, 5, 100, 12, 5]), 64);
    // Only the 100 is a quarter chunk (16) or more: two pieces of 50 of its own.
    expect(plan.chunks).toEqual([
      { offset: 0, size: 15 },
      { offset: 15, size: 50, tensor: 2 }, { offset: 65, size: 50, tensor: 2 },
      { offset: 115, size: 17 },
    ]);
    expect(plan.gathered).toEqual([0, 1, 3, 4]);
  });

  test('a long run of small tensors is split at chunkSize, across tensor boundaries', () => {
    const plan = planChunks(slotsOf(new Array(10).fill(15)), 64);
    expect(plan.chunks.map((c) => c.size)).toEqual([64, 64, 22]);
    expect(plan.chunks.every((c) => c.tensor === undefined)).toBe(true);
    expect(plan.gathered).toHaveLength(10);
  });

  test('the chunks cover the group once, in order', () => {
    const sizes = [5, 300000, 7, 7, 1 << 18, 65536, 65535, 3];
    const plan = planChunks(slotsOf(sizes), 1 << 18);
    let at = 0;
    for (const c of plan.chunks) {
      expect(c.offset).toBe(at);
      expect(c.size).toBeGreaterThan(0);
      expect(c.size).toBeLessThanOrEqual(1 << 18);
      at += c.size;
    }
    expect(at).toBe(sizes.reduce((a, b) => a + b, 0));
  });
});
