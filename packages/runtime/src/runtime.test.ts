import { GraphBuilder, encodeModel } from '@ortrain/graph-builder';
import { Runtime } from '@ortrain/runtime';
import { momentumStepModel } from '../test/models';

describe('Runtime on the CPU provider', () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await Runtime.create();
  });
  afterAll(() => rt.release());

  test('defaults to cpu on node and reports it', () => {
    expect(rt.platform).toBe('node');
    expect(rt.provider).toBe('cpu');
    expect(rt.providerReport()).toEqual({ platform: 'node', requested: ['cpu'], used: 'cpu', skipped: [] });
  });

  test('runs a model and returns CPU tensors; deviceOutputs is ignored on cpu', async () => {
    const session = await rt.createSession(momentumStepModel(3), { deviceOutputs: true });
    expect(session.provider).toBe('cpu');
    expect(session.deviceOutputs).toEqual([]);
    expect(session.inputNames).toEqual(['p', 'm', 'g', 'lr']);
    const T = rt.Tensor;
    const out = await session.run({
      p: new T('float32', new Float32Array([1, 2, 3]), [3]),
      m: new T('float32', new Float32Array([1, 0, -1]), [3]),
      g: new T('float32', new Float32Array([0.5, 1, 2]), [3]),
      lr: new T('float32', new Float32Array([0.1]), []),
    });
    expect(out.m_out.location).toBe('cpu');
    const m = await rt.read<Float32Array>(out.m_out);
    const p = await rt.read<Float32Array>(out.p_out);
    expect(Array.from(m)).toEqual(Array.from(new Float32Array([1.4, 1, 1.1])));
    expect(Array.from(p).map((v) => +v.toFixed(5))).toEqual([0.86, 1.9, 2.89]);
    await session.release();
  });

  test('read() of other element types gives their typed arrays', async () => {
    const T = rt.Tensor;
    expect(await rt.read(new T('int64', new BigInt64Array([1n, -2n]), [2]))).toEqual(new BigInt64Array([1n, -2n]));
    expect(await rt.read(new T('int32', new Int32Array([7]), [1]))).toEqual(new Int32Array([7]));
  });

  test('a model that does not load names the provider', async () => {
    await expect(rt.createSession(new Uint8Array([1, 2, 3]))).rejects.toThrow(/could not be loaded on provider 'cpu'/);
  });

  test('bad session options are RangeErrors naming the option and value', async () => {
    const model = momentumStepModel(2);
    await expect(rt.createSession(model, { graphOptimizationLevel: 'fast' as never })).rejects.toThrow(RangeError);
    await expect(rt.createSession(model, { graphOptimizationLevel: 'fast' as never })).rejects.toThrow(/graphOptimizationLevel.*"fast"/);
    await expect(rt.createSession(model, { intraOpNumThreads: -1 })).rejects.toThrow(/intraOpNumThreads.*-1/);
    await expect(rt.createSession(model, { intraOpNumThreads: 1.5 })).rejects.toThrow(RangeError);
    await expect(rt.createSession(model, { deviceOutputs: 'p_out' as never })).rejects.toThrow(/deviceOutputs.*"p_out"/);
  });

  test('run with fetches writes the outputs into the given tensors', async () => {
    const s = await rt.createSession(momentumStepModel(2), { allowSpinning: false });
    const v = (data: number[], dims: number[]) => new rt.Tensor('float32', Float32Array.from(data), dims);
    const pOut = new Float32Array(2);
    const mOut = new Float32Array(2);
    const out = await s.run({ p: v([1, 2], [2]), m: v([0.5, 0], [2]), g: v([1, -1], [2]), lr: v([0.5], []) },
      { p_out: new rt.Tensor('float32', pOut, [2]), m_out: new rt.Tensor('float32', mOut, [2]) });
    // m' = 0.9 m + g; p' = p - lr m'
    expect(Array.from(mOut)).toEqual([Math.fround(1.45), -1]);
    expect(Array.from(pOut)).toEqual([Math.fround(1 - Math.fround(0.5 * Math.fround(1.45))), 2.5]);
    expect(Array.from(await rt.read<Float32Array>(out.p_out))).toEqual(Array.from(pOut));
    await s.release();
    await expect(rt.createSession(momentumStepModel(2), { allowSpinning: 'no' as never })).rejects.toThrow(/allowSpinning.*"no"/);
  });

  test('repeated runs with the same fetches write into the same memory every time (no hidden output buffer)', async () => {
    const s = await rt.createSession(momentumStepModel(4), { allowSpinning: false });
    const v = (data: number[], dims: number[]) => new rt.Tensor('float32', Float32Array.from(data), dims);
    // Views into larger arrays, at an offset, as chunked optimizer steps fetch them.
    const pAll = new Float32Array(12).fill(-7), mAll = new Float32Array(12).fill(-7);
    const pOut = pAll.subarray(4, 8), mOut = mAll.subarray(4, 8);
    const fetches = { p_out: new rt.Tensor('float32', pOut, [4]), m_out: new rt.Tensor('float32', mOut, [4]) };
    let previous = -1;
    for (let i = 0; i < 3; i++) {
      const out = await s.run({ p: v([1, 2, 3, 4], [4]), m: v([0, 0, 0, 0], [4]), g: v([i, i, i, i], [4]), lr: v([1], []) }, fetches);
      const data = out.p_out.data as Float32Array;
      expect(data.buffer).toBe(pOut.buffer);
      expect(data.byteOffset).toBe(pOut.byteOffset);
      expect((out.m_out.data as Float32Array).buffer).toBe(mOut.buffer);
      // The values of this run, not the last: m' = g, p' = p - g.
      expect(out.p_out).toBe(fetches.p_out);
      expect(pOut[0]).toBe(1 - i);
      expect(pOut[0]).not.toBe(previous);
      previous = pOut[0];
    }
    // Nothing around the views was written.
    expect([...pAll.subarray(0, 4), ...pAll.subarray(8), ...mAll.subarray(0, 4), ...mAll.subarray(8)]).toEqual(new Array(16).fill(-7));
    await s.release();
  });

  test('a session on one intra-op thread gives the same results', async () => {
    const model = momentumStepModel(2);
    const v = (data: number[], dims: number[]) => new rt.Tensor('float32', Float32Array.from(data), dims);
    const feeds = { p: v([0.5, -1], [2]), m: v([0.25, 2], [2]), g: v([1, -3], [2]), lr: v([0.1], []) };
    const [a, b] = [await rt.createSession(model), await rt.createSession(model, { intraOpNumThreads: 1 })];
    const [ra, rb] = [await a.run(feeds), await b.run(feeds)];
    for (const name of a.outputNames) expect(await rt.read(rb[name])).toEqual(await rt.read(ra[name]));
    await Promise.all([a.release(), b.release()]);
  });
});

describe('Execution providers', () => {
  test('an unknown provider name is a RangeError listing what the platform has', async () => {
    await expect(Runtime.create({ executionProviders: ['foo' as never] })).rejects.toThrow(RangeError);
    await expect(Runtime.create({ executionProviders: ['foo' as never] }))
      .rejects.toThrow("executionProviders: 'foo' is not a provider of onnxruntime on node; it has 'cpu', 'webgpu', 'cuda'");
  });

  test("'wasm' is a web provider, not a node one", async () => {
    await expect(Runtime.create({ executionProviders: ['cpu', 'wasm'] })).rejects.toThrow(/'wasm' is not a provider of onnxruntime on node/);
  });

  test('an empty provider list is a RangeError', async () => {
    await expect(Runtime.create({ executionProviders: [] })).rejects.toThrow(/executionProviders: expected a non-empty list/);
  });

  const cudaStarts = (() => {
    try {
      // The CUDA provider library is only there after `ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci`.
      require.resolve('onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so');
      return true;
    } catch {
      return false;
    }
  })();

  (cudaStarts ? test.skip : test)('cuda without its provider library falls back to cpu and keeps the reason', async () => {
    const rt = await Runtime.create({ executionProviders: ['cuda', 'cpu'] });
    const report = rt.providerReport();
    expect(report.used).toBe('cpu');
    expect(report.requested).toEqual(['cuda', 'cpu']);
    expect(report.skipped).toHaveLength(1);
    expect(report.skipped[0].provider).toBe('cuda');
    expect(report.skipped[0].reason).toMatch(/cuda/i);
    const session = await rt.createSession(momentumStepModel(1));
    expect(session.provider).toBe('cpu');
    await session.release();
  });

  (cudaStarts ? test.skip : test)('when every provider fails the error lists each reason', async () => {
    await expect(Runtime.create({ executionProviders: ['cuda'] })).rejects.toThrow(/none of 'cuda' could start on node: cuda: .*shared library/);
  });

  test('the report is a copy: changing it changes nothing', async () => {
    const rt = await Runtime.create({ executionProviders: ['cpu'] });
    rt.providerReport().skipped.push({ provider: 'cuda', reason: 'x' });
    expect(rt.providerReport().skipped).toEqual([]);
  });

  test('ort passed in decides the platform', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const rt = await Runtime.create({ ort: require('onnxruntime-node') });
    expect(rt.platform).toBe('node');
    await expect(Runtime.create({ platform: 'deno' as never })).rejects.toThrow(/platform: expected 'node' or 'web', got "deno"/);
  });
});

test('graph-builder models with symbolic dims run', async () => {
  const rt = await Runtime.create();
  const g = new GraphBuilder('sym');
  const x = g.input('x', 'float32', ['n']);
  g.output(g.mul(x, 2), 'y');
  const s = await rt.createSession(encodeModel(g.build()));
  const out = await s.run({ x: new rt.Tensor('float32', new Float32Array([1, 2, 3, 4, 5]), [5]) });
  expect(Array.from(await rt.read<Float32Array>(out.y))).toEqual([2, 4, 6, 8, 10]);
  await s.release();
});

describe('session cache', () => {
  test('identical models with cache: true share one session until the last release', async () => {
    const rt = await Runtime.create();
    const create = jest.spyOn(rt.ort.InferenceSession, 'create');
    const T = rt.Tensor;
    const feeds = () => ({
      p: new T('float32', new Float32Array([1]), [1]),
      m: new T('float32', new Float32Array([0]), [1]),
      g: new T('float32', new Float32Array([2]), [1]),
      lr: new T('float32', new Float32Array([0.5]), []),
    });
    const a = await rt.createSession(momentumStepModel(1), { cache: true });
    const b = await rt.createSession(momentumStepModel(1), { cache: true });
    expect(create).toHaveBeenCalledTimes(1);
    // Other options or other bytes are other sessions; so is a request without cache.
    const c = await rt.createSession(momentumStepModel(1), { cache: true, graphOptimizationLevel: 'basic' });
    const d = await rt.createSession(momentumStepModel(2), { cache: true });
    const e = await rt.createSession(momentumStepModel(1));
    expect(create).toHaveBeenCalledTimes(4);
    await a.release();
    await a.release(); // twice is once
    await expect(a.run(feeds())).rejects.toThrow('run: this session has been released');
    expect(Array.from(await rt.read<Float32Array>((await b.run(feeds())).p_out))).toEqual([0]);
    await b.release();
    const f = await rt.createSession(momentumStepModel(1), { cache: true });
    expect(create).toHaveBeenCalledTimes(5); // the shared one was released with b, so this loads anew
    expect(Array.from(await rt.read<Float32Array>((await f.run(feeds())).m_out))).toEqual([2]);
    for (const s of [c, d, e, f]) await s.release();
    create.mockRestore();
  });

  test('a cached load that fails is not kept', async () => {
    const rt = await Runtime.create();
    const create = jest.spyOn(rt.ort.InferenceSession, 'create');
    const bad = new Uint8Array([9, 9, 9]);
    await expect(rt.createSession(bad, { cache: true })).rejects.toThrow(/could not be loaded/);
    await expect(rt.createSession(bad, { cache: true })).rejects.toThrow(/could not be loaded/);
    expect(create).toHaveBeenCalledTimes(2); // tried again, not answered from the cache
    create.mockRestore();
  });
});

test('a provider is probed once per process, a failing one every time', async () => {
  const ort = require('onnxruntime-node');
  await Runtime.create({ ort, executionProviders: ['cpu'] });
  const create = jest.spyOn(ort.InferenceSession, 'create');
  await Runtime.create({ ort, executionProviders: ['cpu'] });
  expect(create).not.toHaveBeenCalled();
  const cudaAvailable = (await Runtime.create({ ort, executionProviders: ['cuda', 'cpu'] })).provider === 'cuda';
  if (!cudaAvailable) {
    await Runtime.create({ ort, executionProviders: ['cuda', 'cpu'] });
    expect(create).toHaveBeenCalledTimes(2); // cuda tried again, cpu not probed again
  }
  create.mockRestore();
});
