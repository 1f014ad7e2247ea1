// Issue 12: examples per second of the trainer's `fit` on the digits MLP, with a fixed batch of 32 and with
// PadaDamp growing the batch from 8 to 512, against the same loops in PyTorch eager (bench/peers/torch_fit.py,
// adadamp-style growth and sampling in plain PyTorch). A timed step is one whole run of the schedule.
import { cpus } from 'os';
import { join } from 'path';
import { PadaDamp } from '@ortrain/damping';
import { SGD } from '@ortrain/optimizers';
import { fit, readCsv, tableDataset, TrainingSession, type Dataset, type TableDataset } from '@ortrain/trainer';
import { torchThreads } from '../optimizer/torch-adam';
import { PythonPeer } from '../python-peer';
import { Contestant, runRounds, Timing } from '../rounds';
import { fmt, markdownTable } from '../table';

const ROOT = join(__dirname, '..', '..');
const DIGITS = join(ROOT, 'apps', 'example', 'data', 'digits.csv');
const MODEL = join(ROOT, 'apps', 'example', 'models', 'digits-mlp.onnx');
const SCRIPT = join(__dirname, '..', 'peers', 'torch_fit.py');

/** The two schedules: a run of each is one timed step. */
const FIXED = { updates: 128, batch: 32 };
const PADA = { b0: 8, growth: 4, maxBatch: 512, updates: 130 };
const SCHEDULES = ['fixed batch 32', `PadaDamp ${PADA.b0} -> ${PADA.maxBatch}`] as const;

/** Examples one run of a schedule trains on. */
function examplesPerRun(schedule: (typeof SCHEDULES)[number], rows: number): number {
  let n = 0;
  if (schedule === SCHEDULES[0]) {
    // Epochs of consecutive batches, the last one of each shorter.
    for (let k = 0, at = 0; k < FIXED.updates; k++) {
      if (at >= rows) at = 0;
      const b = Math.min(FIXED.batch, rows - at);
      n += b;
      at += b;
    }
    return n;
  }
  for (let k = 0; k < PADA.updates; k++) n += Math.min(Math.ceil(PADA.b0 + PADA.growth * k), PADA.maxBatch, rows);
  return n;
}

const ORTRAIN = 'ortrain fit (ORT CPU)';
const THREADS = torchThreads(cpus().length);
const torchName = (t: number) => `PyTorch eager, ${t} thr`;
const COLUMNS = [ORTRAIN, ...THREADS.map(torchName)];

async function ortrainContestants(data: TableDataset, session: TrainingSession): Promise<Contestant[]> {
  const run = async (schedule: (typeof SCHEDULES)[number]) => {
    if (schedule === SCHEDULES[0]) {
      await fit(session, data, { updates: FIXED.updates, batchSize: FIXED.batch });
    } else {
      const damper = new PadaDamp({ datasetSize: data.length, lr: 0.05, initialBatchSize: PADA.b0, maxBatchSize: PADA.maxBatch, growthRate: PADA.growth, dwell: 1, wait: 0 });
      await fit(session, data, { updates: PADA.updates, damper });
    }
  };
  return SCHEDULES.map((schedule) => ({
    name: `${schedule}|${ORTRAIN}`,
    runBlock: async (reps: number) => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < reps; i++) await run(schedule);
      return Number(process.hrtime.bigint() - start) / 1e9;
    },
  }));
}

/**
 * Seconds per update at batch 8 on a session that only ever saw batch 8, and on one that ran updates at
 * batch 512 first, timed in interleaved rounds: with symbolic batch dimensions an update should cost what its
 * own batch costs, whatever came before.
 */
async function smallAfterLarge(data: Dataset, quick: boolean): Promise<{ fresh: number; grown: number } | undefined> {
  const make = () => TrainingSession.create({ model: MODEL, loss: 'cross_entropy', optimizer: (ps) => new SGD(ps, { lr: 0.01 }) });
  const fresh = await make();
  const grown = await make();
  try {
    const small = await data.batch(Uint32Array.from({ length: 8 }, (_, i) => i));
    const large = await data.batch(Uint32Array.from({ length: 512 }, (_, i) => i));
    for (let i = 0; i < 30; i++) await grown.trainStep(large, { gradNorm2: true });
    const contestant = (name: string, s: TrainingSession): Contestant => ({
      name,
      runBlock: async (reps) => {
        const start = process.hrtime.bigint();
        for (let i = 0; i < reps; i++) await s.trainStep(small, { gradNorm2: true });
        return Number(process.hrtime.bigint() - start) / 1e9;
      },
    });
    const r = await runRounds([contestant('fresh', fresh), contestant('grown', grown)], { rounds: quick ? 3 : 15, blockSeconds: 0.05, warmup: 5 });
    const f = r.timings.get('fresh');
    const g = r.timings.get('grown');
    return f && g ? { fresh: f.secondsPerStep, grown: g.secondsPerStep } : undefined;
  } finally {
    await fresh.release();
    await grown.release();
  }
}

export async function fitSection(options: { quick: boolean }): Promise<string> {
  const table = await readCsv(DIGITS);
  const session = await TrainingSession.create({ model: MODEL, loss: 'cross_entropy', optimizer: (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9 }) });
  const data = tableDataset(table, session, { featureScale: 1 / 16 });
  const peer = await PythonPeer.start(SCRIPT);
  const absent = typeof peer === 'string' ? peer : undefined;
  if (absent) console.log(`  PyTorch: ${absent}`);
  const contestants = await ortrainContestants(data, session);
  if (typeof peer !== 'string') {
    await peer.request({ cmd: 'setup', data: DIGITS, seed: 0 });
    for (const [i, schedule] of SCHEDULES.entries()) {
      for (const threads of THREADS) {
        contestants.push({
          name: `${schedule}|${torchName(threads)}`,
          runBlock: async (reps) => (await peer.request<{ seconds: number }>(i === 0
            ? { cmd: 'run', mode: 'fixed', reps, threads, updates: FIXED.updates, batch: FIXED.batch }
            : { cmd: 'run', mode: 'padadamp', reps, threads, updates: PADA.updates, b0: PADA.b0, growth: PADA.growth, max_batch: PADA.maxBatch })).seconds,
        });
      }
    }
  }
  let run: { timings: Map<string, Timing>; failed: Map<string, string> };
  let cost: { fresh: number; grown: number } | undefined;
  try {
    run = await runRounds(contestants, { rounds: options.quick ? 3 : 9, blockSeconds: options.quick ? 0.2 : 0.5, warmup: 1 });
    cost = await smallAfterLarge(data, options.quick);
  } finally {
    if (typeof peer !== 'string') await peer.close();
    await session.release();
  }
  const rate = (schedule: (typeof SCHEDULES)[number], column: string) => {
    const t = run.timings.get(`${schedule}|${column}`);
    return t ? examplesPerRun(schedule, data.length) / t.secondsPerStep : undefined;
  };
  const rows = SCHEDULES.map((s) => {
    const o = rate(s, ORTRAIN);
    const peers = THREADS.map((t) => rate(s, torchName(t))).filter((x): x is number => x !== undefined);
    const cells = COLUMNS.map((c) => (rate(s, c) !== undefined ? fmt(rate(s, c)) : absent && c !== ORTRAIN ? 'not available' : 'failed'));
    return [s, String(examplesPerRun(s, data.length)), ...cells, o !== undefined && peers.length ? `${fmt(o / Math.max(...peers))}x` : 'n/a'];
  });
  for (const [name, why] of run.failed) console.log(`    ${name} failed: ${why}`);
  const out = [
    '### fit on the digits MLP: examples per second (higher is better)',
    '',
    markdownTable(['schedule', 'examples per run', ...COLUMNS, 'ortrain / PyTorch best'], rows),
    '',
    `- A run: ${FIXED.updates} updates of ${FIXED.batch} rows (epochs of shuffled rows), or ${PADA.updates} updates whose batch grows as PadaDamp's ` +
      `ceil(${PADA.b0} + ${PADA.growth} k), capped at ${PADA.maxBatch}, each batch drawn as adadamp draws it. SGD(lr 0.05, momentum 0.9), mean ` +
      `cross-entropy, ${data.length} digits rows; ortrain's run is \`fit\` itself (sampling, batch gathering, one session.run per update, the ` +
      'squared gradient norm with a damper), PyTorch\'s the same loop in plain PyTorch (bench/peers/torch_fit.py).',
    cost
      ? `- An update at batch 8 (median over interleaved rounds): ${fmt(cost.fresh * 1e6)} us on a session that only ran batch 8, ` +
        `${fmt(cost.grown * 1e6)} us on one that ran 30 updates at batch 512 first (ratio ${fmt(cost.grown / cost.fresh)}).`
      : '- The batch-8 update cost could not be measured.',
  ];
  if (absent) out.push(`- PyTorch: ${absent}`);
  return out.join('\n');
}
