// The main job (`npm start`): fine-tune the digits MLP (Linear(64,128)-ReLU-Linear(128,10), exported by
// PyTorch) on the 8x8 handwritten digits shipped in the repository, hold out 20% of them, export the trained
// model and check it with plain onnxruntime-node. Extra arguments override the defaults, e.g.
// `npm start -- --epochs 30 --execution-provider webgpu`.
import { join } from 'node:path';
import { DataError } from '@ortrain/trainer';
import { parseCommand } from './args';
import { InputError } from './errors';
import { EXPORT_TOLERANCE } from './cli';
import { finetune } from './finetune';
import { summarize } from './report';

const root = join(__dirname, '..');
/** The accuracy on the held-out rows that the job must reach. */
const TARGET = 0.95;

const defaults = [
  'finetune', join(root, 'models', 'digits-mlp.onnx'),
  '--data', join(root, 'data', 'digits.csv'),
  '--label-column', 'label',
  '--feature-scale', String(1 / 16),  // pixels are 0..16
  '--optimizer', 'adam',
  '--lr', '0.002',
  '--epochs', '20',
  '--batch-size', '32',
  '--val-split', '0.2',
  '--seed', '0',
  '--out', join(root, 'out', 'digits-mlp.trained.onnx'),
];

async function run(): Promise<number> {
  const command = parseCommand([...defaults, ...process.argv.slice(2)]);
  if (command.kind === 'help') {
    console.log(command.text);
    return 0;
  }
  const report = await finetune(command.options);
  for (const line of summarize(report)) console.log(line);
  if (!(report.maxOutputDifference <= EXPORT_TOLERANCE) || report.exportedAccuracy !== report.valAccuracy) {
    console.error(
      `the exported model disagrees with the training session: accuracy ${report.exportedAccuracy} vs ${report.valAccuracy}, ` +
        `max output difference ${report.maxOutputDifference}`,
    );
    return 1;
  }
  if (!(report.valAccuracy >= TARGET)) {
    console.error(`held-out accuracy ${(report.valAccuracy * 100).toFixed(2)}% is below the target ${TARGET * 100}%`);
    return 1;
  }
  console.log(`held-out accuracy ${(report.valAccuracy * 100).toFixed(2)}% >= ${TARGET * 100}%: done`);
  return 0;
}

run().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // One line, as the CLI prints: a provider that cannot start is not a bug to debug (ORTRAIN_DEBUG=1 shows the stack).
    const mine = err instanceof InputError || err instanceof DataError;
    console.error(`ortrain: ${process.env.ORTRAIN_DEBUG ? (err as Error).stack : (err as Error).message ?? String(err)}`);
    process.exitCode = mine ? 2 : 1;
  },
);
