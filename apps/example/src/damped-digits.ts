// The digits MLP trained through the trainer's `fit`, with a fixed batch or with one of adadamp's dampers
// setting the batch size (or, for GeoDampLR, the lr) as training goes: the proof that dampers drive fit
// (damped-digits.test.ts) and the source of the README's history (`npm run demo:damping`).
import { join } from 'node:path';
import { BaseDamper, GeoDamp, GeoDampLR, PadaDamp } from '@ortrain/damping';
import { SGD } from '@ortrain/optimizers';
import { accuracy, fit, readCsv, splitRows, subset, tableDataset, TrainingSession, type FitHistory } from '@ortrain/trainer';

const root = join(__dirname, '..');
export const RUNS = ['fixed', 'padadamp', 'geodamp', 'geodamplr'] as const;
export type DigitsRun = (typeof RUNS)[number];

/** SGD with momentum, the same lr for every run; a damper changes it only when it caps the batch (GeoDampLR). */
const LR = 0.05;

function damperFor(run: DigitsRun, datasetSize: number): BaseDamper | undefined {
  const common = { datasetSize, lr: LR, dwell: 1, wait: 0 };
  switch (run) {
    case 'fixed':
      return undefined;
    case 'padadamp':
      // B_k = ceil(8 + 0.1 k), at most 256.
      return new PadaDamp({ ...common, initialBatchSize: 8, maxBatchSize: 256, growthRate: 0.1 });
    case 'geodamp':
      // The batch doubles every 2 epochs: 8, 16, ..., 128.
      return new GeoDamp({ ...common, initialBatchSize: 8, maxBatchSize: 256, dampingdelay: 2, dampingfactor: 2 });
    case 'geodamplr':
      // The batch stays 32 and the lr halves every 3 epochs instead.
      return new GeoDampLR({ ...common, initialBatchSize: 32, dampingdelay: 3, dampingfactor: 2 });
  }
}

/** Trains the digits MLP for `epochs` (n examples each) and returns the history and the held-out accuracy. */
export async function trainDigits(run: DigitsRun, epochs = 10): Promise<{ history: FitHistory; accuracy: number; trainRows: number }> {
  const table = await readCsv(join(root, 'data', 'digits.csv'));
  const session = await TrainingSession.create({
    model: join(root, 'models', 'digits-mlp.onnx'), loss: 'cross_entropy', optimizer: (ps) => new SGD(ps, { lr: LR, momentum: 0.9 }),
  });
  try {
    const data = tableDataset(table, session, { featureScale: 1 / 16 });
    const split = splitRows(data.length, 0.2, 0);
    const train = subset(data, split.train);
    const damper = damperFor(run, train.length);
    const history = await fit(session, train, {
      epochs, seed: 1, ...(damper ? { damper } : { batchSize: 32 }),
      evalDataset: subset(data, split.val), metrics: { accuracy: accuracy() },
    });
    return { history, accuracy: history.epochs[history.epochs.length - 1].metrics.accuracy, trainRows: train.length };
  } finally {
    await session.release();
  }
}

/** The history as CSV: one row per update (every `every`-th, and the last), plot-ready. */
export function historyCsv(history: FitHistory, every = 1): string {
  const rows = ['update,examples,batch_size,lr,loss'];
  history.updates.forEach((u, i) => {
    if (i % every === 0 || i === history.updates.length - 1) rows.push(`${i + 1},${u.examples},${u.batchSize},${u.lr},${u.loss.toFixed(4)}`);
  });
  return rows.join('\n');
}

if (require.main === module) {
  // `npm run demo:damping [-- padadamp|geodamp|geodamplr|fixed] [every]`: prints the run's history as CSV.
  const run = (process.argv[2] ?? 'padadamp') as DigitsRun;
  if (!RUNS.includes(run)) {
    console.error(`demo:damping: unknown run '${run}' (known: ${RUNS.join(', ')})`);
    process.exitCode = 2;
  } else {
    trainDigits(run).then(({ history, accuracy: acc }) => {
      console.log(historyCsv(history, Number(process.argv[3] ?? 1)));
      console.error(`${run}: ${history.updates.length} updates, ${history.updates[history.updates.length - 1].examples} examples, held-out accuracy ${(acc * 100).toFixed(2)}%`);
    });
  }
}
