// Issue 11: can Gemm (alpha A B + beta C, with A [n,1] and B [1,1]) stand in for a Mul-Mul-Add triple of an
// element-wise update? Adam as the 12-node Mul/Add chain against a 7-node form with four Gemms, over one
// chunk of n elements, 1 thread, outputs left to ONNX Runtime. ns per parameter, min / median over rounds.
// Run: npx tsx bench/update-path/gemm-forms.ts [sizes...]
import { encodeModel, GraphBuilder } from '@ortrain/graph-builder';
import { InferenceSession, Tensor } from 'onnxruntime-node';

function chainModel(n: number): Uint8Array {
  const g = new GraphBuilder('adam');
  const s = Object.fromEntries(['b1', 'c1', 'b2', 'c2', 'eps', 'nlr'].map((k) => [k, g.input(k, 'float32', [])]));
  const p = g.input('p', 'float32', [1, n]), gr = g.input('g', 'float32', [1, n]);
  const m = g.input('m', 'float32', [1, n]), v = g.input('v', 'float32', [1, n]);
  const m2 = g.add(g.mul(m, s.b1), g.mul(gr, s.c1));
  const v2 = g.add(g.mul(v, s.b2), g.mul(g.mul(gr, gr), s.c2));
  const p2 = g.add(p, g.mul(g.div(m2, g.add(g.op('Sqrt', [v2]), s.eps)), s.nlr));
  g.output(p2, 'p.out'); g.output(m2, 'm.out'); g.output(v2, 'v.out');
  return encodeModel(g.build());
}

function gemmModel(n: number, b1: number, b2: number): Uint8Array {
  const g = new GraphBuilder('adam');
  const s = Object.fromEntries(['c1', 'c2', 'k', 'nlr'].map((k) => [k, g.input(k, 'float32', [1, 1])]));
  const eps = g.input('eps', 'float32', [1]);
  const p = g.input('p', 'float32', [1, n]), gr = g.input('g', 'float32', [1, n]);
  const m = g.input('m', 'float32', [1, n]), v = g.input('v', 'float32', [1, n]);
  const m2 = g.op('Gemm', [s.c1, gr, m], { beta: b1 });
  const v2 = g.op('Gemm', [s.c2, g.mul(gr, gr), v], { beta: b2 });
  const den = g.op('Gemm', [s.k, g.op('Sqrt', [v2]), eps]);
  const p2 = g.op('Gemm', [s.nlr, g.div(m2, den), p]);
  g.output(p2, 'p.out'); g.output(m2, 'm.out'); g.output(v2, 'v.out');
  return encodeModel(g.build());
}

async function main() {
  const sizes = (process.argv.slice(2).length ? process.argv.slice(2) : ['1e4', '1e5', '262144', '1e6']).map(Number);
  const opts = { executionProviders: ['cpu'], intraOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: '0' } } } } as InferenceSession.SessionOptions;
  for (const n of sizes) {
    const arr = () => new Tensor('float32', new Float32Array(n).fill(0.1), [1, n]);
    const sc = (x: number, dims: number[] = []) => new Tensor('float32', new Float32Array([x]), dims);
    const chain = await InferenceSession.create(chainModel(n), opts);
    const gemm = await InferenceSession.create(gemmModel(n, 0.9, 0.999), opts);
    const base = { p: arr(), g: arr(), m: arr(), v: arr() };
    const fc = { ...base, b1: sc(0.9), c1: sc(0.1), b2: sc(0.999), c2: sc(0.001), eps: sc(1e-8), nlr: sc(-1e-3) };
    const fg = { ...base, c1: sc(0.1, [1, 1]), c2: sc(0.001, [1, 1]), k: sc(1, [1, 1]), eps: sc(1e-8, [1]), nlr: sc(-1e-3, [1, 1]) };
    const a = await chain.run(fc), b = await gemm.run(fg);
    let maxDiff = 0;
    for (const k of ['p.out', 'm.out', 'v.out']) {
      const x = a[k].data as Float32Array, y = b[k].data as Float32Array;
      for (let i = 0; i < n; i++) maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i]) / Math.max(1e-30, Math.abs(x[i])));
    }
    const reps = Math.max(3, Math.round(2e7 / n));
    const times: Record<string, number[]> = { chain: [], gemm: [] };
    for (let round = 0; round < 15; round++) {
      for (const [name, s, f] of [['chain', chain, fc], ['gemm', gemm, fg]] as const) {
        const t0 = process.hrtime.bigint();
        for (let r = 0; r < reps; r++) await s.run(f as Record<string, Tensor>);
        times[name].push(Number(process.hrtime.bigint() - t0) / reps / n);
      }
    }
    const st = (xs: number[]) => { const s = [...xs].sort((p, q) => p - q); return `${s[0].toFixed(2)} / ${s[s.length >> 1].toFixed(2)}`; };
    console.log(`n=${n}: chain ${st(times.chain)}  gemm ${st(times.gemm)}  max rel diff ${maxDiff.toExponential(2)}`);
  }
}
main();
