import { readFileSync } from 'fs';
import { join } from 'path';
import type { Tensor } from 'onnxruntime-common';
import { GraphBuilder, encodeModel } from '@ortrain/graph-builder';
import { Runtime, RuntimeSession } from '@ortrain/runtime';
import { momentumStepModel } from '../test/models';
import { webgpuTestsRun } from '../test/webgpu-available';

const N = 1000;

/** The same ten momentum steps in plain float32 arithmetic. */
function expected(steps: number, p0: Float32Array, g: Float32Array, lr: number): { p: Float32Array; m: Float32Array } {
  const p = Float32Array.from(p0);
  const m = new Float32Array(p0.length);
  const f = Math.fround;
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < p.length; i++) {
      m[i] = f(f(m[i] * f(0.9)) + g[i]);
      p[i] = f(p[i] - f(m[i] * f(lr)));
    }
  }
  return { p, m };
}

(webgpuTestsRun() ? describe : describe.skip)('WebGPU (SwiftShader in Node)', () => {
  let rt: Runtime;
  let session: RuntimeSession;
  const p0 = Float32Array.from({ length: N }, (_, i) => Math.sin(i));
  const g = Float32Array.from({ length: N }, (_, i) => Math.cos(i * 0.37));

  beforeAll(async () => {
    rt = await Runtime.create({ executionProviders: ['webgpu', 'cpu'] });
    session = await rt.createSession(momentumStepModel(N), { deviceOutputs: true });
  });
  afterAll(async () => {
    await session?.release();
    await rt?.release();
  });

  test('webgpu starts and is reported as used', () => {
    expect(rt.providerReport()).toEqual({ platform: 'node', requested: ['webgpu', 'cpu'], used: 'webgpu', skipped: [] });
    expect(session.provider).toBe('webgpu');
    expect(session.deviceOutputs).toEqual(['p_out', 'm_out']);
  });

  test('outputs stay on the device across 10 fed-back runs and read back right', async () => {
    const T = rt.Tensor;
    const grad = new T('float32', g, [N]);
    const lr = new T('float32', new Float32Array([0.05]), []);
    let p: Tensor = new T('float32', p0, [N]);
    let m: Tensor = new T('float32', new Float32Array(N), [N]);
    for (let step = 0; step < 10; step++) {
      const out = await session.run({ p, m, g: grad, lr });
      expect(out.p_out.location).toBe('gpu-buffer');
      expect(out.m_out.location).toBe('gpu-buffer');
      // The tensors fed in are no longer needed: free their device memory (CPU tensors ignore this).
      if (step > 0) {
        p.dispose();
        m.dispose();
      }
      p = out.p_out;
      m = out.m_out;
    }
    const want = expected(10, p0, g, 0.05);
    const gotP = await rt.read<Float32Array>(p);
    const gotM = await rt.read<Float32Array>(m);
    expect(gotP).toBeInstanceOf(Float32Array);
    expect(gotP.length).toBe(N);
    for (let i = 0; i < N; i++) {
      expect(Math.abs(gotP[i] - want.p[i])).toBeLessThan(1e-5);
      expect(Math.abs(gotM[i] - want.m[i])).toBeLessThan(1e-5);
    }
    // Reading leaves the tensor on the device and usable: one more step from it.
    expect(p.location).toBe('gpu-buffer');
    const again = await session.run({ p, m, g: grad, lr });
    const want11 = expected(11, p0, g, 0.05);
    const p11 = await rt.read<Float32Array>(again.p_out);
    expect(Math.abs(p11[7] - want11.p[7])).toBeLessThan(1e-5);
    for (const t of [p, m, again.p_out, again.m_out]) t.dispose();
  });

  test('only the named outputs stay on the device', async () => {
    const s = await rt.createSession(momentumStepModel(4), { deviceOutputs: ['m_out'] });
    const T = rt.Tensor;
    const out = await s.run({
      p: new T('float32', new Float32Array([1, 2, 3, 4]), [4]),
      m: new T('float32', new Float32Array(4), [4]),
      g: new T('float32', new Float32Array([1, 1, 1, 1]), [4]),
      lr: new T('float32', new Float32Array([0.5]), []),
    });
    expect(s.deviceOutputs).toEqual(['m_out']);
    expect(out.p_out.location).toBe('cpu');
    expect(out.m_out.location).toBe('gpu-buffer');
    expect(Array.from(await rt.read<Float32Array>(out.p_out))).toEqual([0.5, 1.5, 2.5, 3.5]);
    expect(Array.from(await rt.read<Float32Array>(out.m_out))).toEqual([1, 1, 1, 1]);
    out.m_out.dispose();
    await s.release();
  });

  test('a runtime on another provider refuses to read a gpu-buffer tensor', async () => {
    const s = await rt.createSession(momentumStepModel(2), { deviceOutputs: ['m_out'] });
    const T = rt.Tensor;
    const out = await s.run({
      p: new T('float32', new Float32Array(2), [2]),
      m: new T('float32', new Float32Array(2), [2]),
      g: new T('float32', new Float32Array([3, 4]), [2]),
      lr: new T('float32', new Float32Array([1]), []),
    });
    const cpu = await Runtime.create({ executionProviders: ['cpu'] });
    await expect(cpu.read(out.m_out)).rejects.toThrow("read: a 'gpu-buffer' tensor can only be read by a runtime on 'webgpu'; this one runs on 'cpu'");
    expect(Array.from(await rt.read<Float32Array>(out.m_out))).toEqual([3, 4]);
    out.m_out.dispose();
    await s.release();
  });

  test('read() brings back other element types and scalars from the device', async () => {
    const g = new GraphBuilder('types');
    const x = g.input('x', 'float32', [2, 3]);
    g.output(g.cast(g.mul(x, 2), 'int32'), 'as_int');
    g.output(g.reduceSum(x), 'total');
    const s = await rt.createSession(encodeModel(g.build()), { deviceOutputs: true });
    const out = await s.run({ x: new rt.Tensor('float32', new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]) });
    expect(out.as_int.location).toBe('gpu-buffer');
    expect(out.total.location).toBe('gpu-buffer');
    const asInt = await rt.read<Int32Array>(out.as_int);
    expect(asInt).toBeInstanceOf(Int32Array);
    expect(Array.from(asInt)).toEqual([2, 4, 6, 8, 10, 12]);
    expect(Array.from(await rt.read<Float32Array>(out.total))).toEqual([21]);
    out.as_int.dispose();
    out.total.dispose();
    await s.release();
  });

  test('a device output that the model does not have is a RangeError naming it', async () => {
    const created = rt.createSession(momentumStepModel(4), { deviceOutputs: ['m_out', 'q_out'] });
    await expect(created).rejects.toThrow(RangeError);
    await expect(created).rejects.toThrow(/deviceOutputs: .*q_out/);
  });
});

(webgpuTestsRun() ? describe : describe.skip)('WebGPU layout', () => {
  test('convolutions give the CPU provider\'s values (sessions ask for the NCHW layout)', async () => {
    const bytes = new Uint8Array(readFileSync(join(__dirname, '../../../fixtures/models/lenet.onnx')));
    const [gpu, cpu] = [await Runtime.create({ executionProviders: ['webgpu'] }), await Runtime.create({ executionProviders: ['cpu'] })];
    const x = new cpu.Tensor('float32', Float32Array.from({ length: 2 * 784 }, (_, i) => Math.sin(i)), [2, 1, 28, 28]);
    const logits: Float32Array[] = [];
    for (const rt of [gpu, cpu]) {
      const s = await rt.createSession(bytes);
      logits.push(await rt.read<Float32Array>((await s.run({ input: x })).logits));
      await s.release();
    }
    // With onnxruntime's default NHWC layout on WebGPU the logits differ by about 1e-2.
    for (let i = 0; i < logits[1].length; i++) expect(Math.abs(logits[0][i] - logits[1][i])).toBeLessThan(1e-5);
    await Promise.all([gpu.release(), cpu.release()]);
  });
});
