import { GraphBuilder, encodeModel } from '@ortrain/graph-builder';
import { Runtime } from '@ortrain/runtime';
async function main() {
  const runtime = await Runtime.create({ executionProviders: ['cpu'] });
  const T = runtime.Tensor;
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const n of [1e6, 1e7]) {
    const x = new T('float32', new Float32Array(n).fill(1), [n]);
    for (const k of [1, 4, 12]) {
      for (const outs of [1, 3]) {
        const g = new GraphBuilder('t');
        const xi = g.input('x', 'float32', [n]);
        const s = g.input('s', 'float32', []);
        let y = xi;
        const ys = [];
        for (let i = 0; i < k; i++) { y = g.mul(y, s); if (i >= k - outs) ys.push(y); }
        ys.forEach((v, i) => g.output(v, 'y' + i));
        const sess = await runtime.createSession(encodeModel(g.build()));
        const feeds = { x, s: new T('float32', Float32Array.of(1), []) };
        await sess.run(feeds);
        const ts = [];
        for (let r = 0; r < 9; r++) { const t0 = process.hrtime.bigint(); await sess.run(feeds); ts.push(Number(process.hrtime.bigint() - t0) / n); }
        console.log(`n=${n} nodes=${k} outputs=${outs}: ${med(ts).toFixed(2)} ns/elem`);
      }
    }
  }
}
main();
