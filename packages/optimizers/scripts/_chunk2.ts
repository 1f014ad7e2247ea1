import { GraphBuilder, encodeModel } from '@ortrain/graph-builder';
import { Runtime } from '@ortrain/runtime';
async function main() {
  const runtime = await Runtime.create({ executionProviders: ['cpu'] });
  const T = runtime.Tensor;
  const n = 1e7;
  const x = new Float32Array(n).fill(1);
  const variants: { name: string; sess: any; feeds: any; ts: number[] }[] = [];
  for (const k of [1, 3, 10]) {
    const g = new GraphBuilder('c');
    const feeds: any = {};
    const size = Math.ceil(n / k);
    for (let c = 0; c < k; c++) {
      const lo = c * size, hi = Math.min(n, lo + size);
      const xi = g.input('x' + c, 'float32', [hi - lo]);
      feeds['x' + c] = new T('float32', x.subarray(lo, hi), [hi - lo]);
      g.output(g.add(g.mul(xi, 2), 1), 'y' + c);
    }
    variants.push({ name: `${k} chunks`, sess: await runtime.createSession(encodeModel(g.build())), feeds, ts: [] });
  }
  for (let r = 0; r < 15; r++) for (const v of variants) { const t0 = process.hrtime.bigint(); await v.sess.run(v.feeds); v.ts.push(Number(process.hrtime.bigint() - t0) / n); }
  for (const v of variants) { v.ts.sort((a, b) => a - b); console.log(v.name, 'median', v.ts[7].toFixed(2), 'min', v.ts[0].toFixed(2), 'ns/elem'); }
}
main();
