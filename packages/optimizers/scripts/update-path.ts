// Interleaved timing of the update path (issue 11, section 1): Adam's opt.step() at several sizes and a fused
// step (optimizer.stepFused around a bare session.run), for one or more copies of this package's src, so that
// a change is measured against the code before it in the same process, round by round.
// Not a test, not the benchmark. Reports the minimum over rounds (the machine is shared; medians swing).
//
//   git archive HEAD~1 packages/optimizers/src | tar -x -C /tmp/before   # any older copy, placed so that
//   cp -r /tmp/before/packages/optimizers/src packages/optimizers/.before # @ortrain/* still resolve
//   npx tsx --tsconfig tsconfig.base.json packages/optimizers/scripts/update-path.ts [rounds] \
//     [before=packages/optimizers/.before] [after=packages/optimizers/src] ['one-thread=packages/optimizers/src@{"intraOpNumThreads":1}']
//
// Cases: 'small' = 100 tensors of 4 elements (fixed cost, us per step); 'N x k' = N parameters in k tensors
// (ns per parameter); 'fused 50K' = stepFused of a 2-tensor group of 50K elements whose graph's gradient is
// the parameter itself (us per step, the bare run beside it). UPDATE_PATH_CASES=small,1e6x1 picks cases.
import path from 'node:path';
import { GraphBuilder, encodeModel } from '@ortrain/graph-builder';
import { Runtime } from '@ortrain/runtime';

type Pkg = typeof import('../src');
const rounds = Number(process.argv[2] ?? 7);
const impls = (process.argv.slice(3).length ? process.argv.slice(3) : [`now=${path.join(__dirname, '../src')}`]).map((a) => {
  // name=dir or name=dir@{"chunkAbove":0,...}: optimizer options for that contestant.
  const [spec, json] = a.split('@');
  const [name, dir] = spec.includes('=') ? spec.split('=') : [path.basename(spec), spec];
  return { name, dir: path.resolve(dir), options: (json ? JSON.parse(json) : {}) as Record<string, unknown> };
});

interface Case { name: string; unit: 'us' | 'ns/p'; setup(pkg: Pkg, rt: Runtime, options: Record<string, unknown>): Promise<{ time(): Promise<number>; release(): Promise<void> }> }

function adamCase(n: number, tensors: number, block: number): Case {
  return {
    name: n === 400 ? 'small' : `${n.toExponential(0).replace("+", "")}x${tensors}`,
    unit: n === 400 ? 'us' : 'ns/p',
    async setup(pkg, runtime, options) {
      const per = n / tensors;
      const params = Array.from({ length: tensors }, (_, i) => new pkg.Parameter(`p${i}`, new Float32Array(per).fill(0.5), [per]));
      const opt = new pkg.Adam(params, { lr: 1e-3, runtime, ...options });
      opt.useFlatGrads();
      for (const p of params) p.grad!.fill(0.01);
      for (let i = 0; i < 2 * block; i++) await opt.step();
      return {
        async time() {
          const t0 = process.hrtime.bigint();
          for (let i = 0; i < block; i++) await opt.step();
          const ns = Number(process.hrtime.bigint() - t0) / block;
          return n === 400 ? ns / 1000 : ns / n;
        },
        release: () => opt.release(),
      };
    },
  };
}

/** stepFused over a graph that only updates (gradient = the parameter), and the bare run of that graph. */
function fusedCase(bare: boolean): Case {
  return {
    name: bare ? 'fused 50K, bare run' : 'fused 50K, stepFused',
    unit: 'us',
    async setup(pkg, runtime, options) {
      const W = new pkg.Parameter('W', new Float32Array(49152).fill(0.5), [192, 256]);
      const b = new pkg.Parameter('b', new Float32Array(256).fill(0.1), [256]);
      const opt = new pkg.Adam([W, b], { lr: 1e-3, runtime, ...options });
      const g = new GraphBuilder('fused');
      const update = opt.fuse(g, 0);
      update.apply(update.views());
      const session = await runtime.createSession(encodeModel(g.build()), { deviceOutputs: update.outputNames });
      const block = 50;
      const step = async () => {
        if (!update.upToDate()) throw new Error('not up to date');
        await opt.stepFused([update], (feeds) => session.run(feeds));
      };
      for (let i = 0; i < 20; i++) await step();
      const feeds = await update.feeds();
      return {
        async time() {
          const t0 = process.hrtime.bigint();
          if (bare) for (let i = 0; i < block; i++) await session.run(feeds);
          else for (let i = 0; i < block; i++) await step();
          return Number(process.hrtime.bigint() - t0) / block / 1000;
        },
        release: async () => { await session.release(); await opt.release(); },
      };
    },
  };
}

const all: Case[] = [
  adamCase(400, 100, 300),
  adamCase(1e5, 1, 20), adamCase(1e6, 1, 3), adamCase(1e6, 100, 3), adamCase(3e6, 1, 2), adamCase(1e7, 1, 1),
  fusedCase(false), fusedCase(true),
];
const wanted = process.env.UPDATE_PATH_CASES?.split(',');
const cases = wanted ? all.filter((c) => wanted.some((w) => c.name.startsWith(w))) : all;

async function main(): Promise<void> {
  const runtime = await Runtime.create({ executionProviders: ['cpu'] });
  const pkgs: Pkg[] = [];
  for (const i of impls) pkgs.push((await import(i.dir)) as Pkg);
  const best = new Map<string, number[]>();
  for (const c of cases) {
    // One contestant of a case alive at a time (no idle sessions taking memory), alternated round by round.
    const runs = [];
    for (let k = 0; k < pkgs.length; k++) runs.push(await c.setup(pkgs[k], runtime, impls[k].options));
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < runs.length; k++) {
        const t = await runs[k].time();
        const key = `${c.name}|${impls[k].name}`;
        best.set(key, [...(best.get(key) ?? []), t]);
      }
    }
    for (const run of runs) await run.release();
    const cells = impls.map((i) => {
      const ts = best.get(`${c.name}|${i.name}`)!.sort((a, b) => a - b);
      return `${i.name} min ${ts[0].toFixed(2)} med ${ts[Math.floor(ts.length / 2)].toFixed(2)}`;
    });
    console.log(`${c.name.padEnd(22)} ${c.unit.padEnd(4)} | ${cells.join(' | ')}`);
  }
}

void main();
