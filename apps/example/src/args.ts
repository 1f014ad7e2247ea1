import { basename, dirname, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { LOSSES, type LossName } from './data-fit';
import { InputError } from './errors';

export const EXECUTION_PROVIDERS = ['cpu', 'webgpu', 'cuda'] as const;
export type CliExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

/** Everything `ortrain finetune` needs, checked. */
export interface FinetuneOptions {
  model: string;
  data: string;
  labelColumn: string;
  /** Which float initializers train; all of them when absent. */
  trainable?: RegExp;
  optimizer: string;
  lr: number;
  epochs: number;
  batchSize: number;
  out: string;
  loss: LossName;
  inputName?: string;
  valSplit: number;
  seed: number;
  executionProvider: CliExecutionProvider;
  featureScale: number;
  progress: boolean;
}

export type Command = { kind: 'help'; text: string } | { kind: 'finetune'; options: FinetuneOptions };

export const USAGE = `ortrain: train ONNX models on stock ONNX Runtime

Usage:
  ortrain finetune <model.onnx> --data <train.csv> [options]
  ortrain --help | ortrain finetune --help

Fine-tunes the model's float initializers on a CSV file: a header row of column names, then one row of
numbers per sample. Every column but the label column is a feature, in file order; the features of a row
fill one sample of the model input (all its dimensions after the batch one). The trained model is written
as a plain ONNX file that any ONNX Runtime loads.

Options:
  --data <file>                 training data, CSV with a header row (required)
  --label-column <name>         the label column (default: label)
  --trainable <regex>           train only the initializers whose names match (default: every float one)
  --loss <name>                 ${LOSSES.join(' | ')} (default: cross_entropy)
  --optimizer <name>            optimizer from @ortrain/optimizers, e.g. adam, adamw, sgd (default: adam)
  --lr <number>                 learning rate (default: 1e-3)
  --epochs <n>                  passes over the training rows (default: 5)
  --batch-size <n>              rows per training step (default: 32)
  --val-split <fraction>        share of rows held out for validation, in [0, 1) (default: 0.2)
  --seed <n>                    seed of the split and the shuffles (default: 0)
  --feature-scale <number>      multiply every feature by this, e.g. 0.0625 for 0..16 pixels (default: 1)
  --input-name <name>           the model input the features feed (needed when the model has several)
  --execution-provider <name>   ${EXECUTION_PROVIDERS.join(' | ')} (default: cpu)
  --out <file>                  where to write the trained model (default: <model>.tuned.onnx)
  --no-progress                 print one line per epoch instead of a progress bar
  -h, --help                    show this help

Example:
  ortrain finetune apps/example/models/digits-mlp.onnx --data apps/example/data/digits.csv \\
    --feature-scale 0.0625 --trainable '^net\\.2\\.' --lr 1e-2 --out apps/example/out/digits-tuned.onnx
  (from the repository's root; the digits model's last layer is net.2)
`;

const STRING_OPTIONS = [
  'data', 'label-column', 'trainable', 'loss', 'optimizer', 'lr', 'epochs', 'batch-size', 'val-split', 'seed',
  'feature-scale', 'input-name', 'execution-provider', 'out',
] as const;

function number(option: string, raw: string | undefined, fallback: number, check: (v: number) => boolean, expected: string): number {
  if (raw === undefined) return fallback;
  const v = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(v) || !check(v)) throw new InputError(`--${option}: expected ${expected}, got '${raw}'`);
  return v;
}

/** parseArgs reads `--lr -1` as a missing value; a negative number after an option is that option's value. */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : '';
    if ((STRING_OPTIONS as readonly string[]).includes(name) && i + 1 < argv.length && /^-[\d.]/.test(argv[i + 1])) {
      out.push(`${argv[i]}=${argv[i + 1]}`);
      i++;
    } else {
      out.push(argv[i]);
    }
  }
  return out;
}

/** Parses the command line (without `node` and the script), or throws an InputError naming the problem. */
export function parseCommand(argv: string[]): Command {
  const options = Object.fromEntries([
    ...STRING_OPTIONS.map((o) => [o, { type: 'string' as const }]),
    ['help', { type: 'boolean' as const, short: 'h' }],
    ['no-progress', { type: 'boolean' as const }],
  ]);
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv), options, allowPositionals: true, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    const unknown = /Unknown option '([^']+)'/.exec(e.message);
    if (unknown) throw new InputError(`unknown option '${unknown[1]}' (see ortrain --help)`);
    const missing = /Option '(-[^ ']+)[^']*' argument missing/.exec(e.message);
    if (missing) throw new InputError(`option '${missing[1]}' needs a value (see ortrain --help)`);
    throw new InputError(`${e.message.split('\n')[0]} (see ortrain --help)`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const [command, ...rest] = parsed.positionals;
  if (values.help || command === undefined || command === 'help') return { kind: 'help', text: USAGE };
  if (command !== 'finetune') throw new InputError(`unknown command '${command}' (commands: finetune; see ortrain --help)`);
  if (rest.length === 0) throw new InputError('finetune: give the model file, as in: ortrain finetune model.onnx --data train.csv');
  if (rest.length > 1) throw new InputError(`finetune: one model file expected, got ${rest.length}: ${rest.join(' ')}`);
  const model = rest[0];
  const str = (name: string): string | undefined => values[name] as string | undefined;

  const data = str('data');
  if (data === undefined) throw new InputError('--data: the training CSV file is required');

  let trainable: RegExp | undefined;
  const pattern = str('trainable');
  if (pattern !== undefined) {
    try {
      trainable = new RegExp(pattern);
    } catch (err) {
      throw new InputError(`--trainable: '${pattern}' is not a valid regular expression (${(err as Error).message})`);
    }
  }
  const loss = str('loss') ?? 'cross_entropy';
  if (!(LOSSES as readonly string[]).includes(loss)) throw new InputError(`--loss: unknown loss '${loss}' (known: ${LOSSES.join(', ')})`);
  const provider = str('execution-provider') ?? 'cpu';
  if (!(EXECUTION_PROVIDERS as readonly string[]).includes(provider)) {
    throw new InputError(`--execution-provider: unknown provider '${provider}' (known: ${EXECUTION_PROVIDERS.join(', ')})`);
  }
  const positive = (v: number) => v > 0;
  const positiveInt = (v: number) => Number.isInteger(v) && v >= 1;
  const labelColumn = str('label-column') ?? 'label';
  if (labelColumn.trim() === '') throw new InputError('--label-column: expected a column name, got an empty string');

  return {
    kind: 'finetune',
    options: {
      model,
      data,
      labelColumn,
      trainable,
      optimizer: (str('optimizer') ?? 'adam').toLowerCase(),
      lr: number('lr', str('lr'), 1e-3, positive, 'a positive number'),
      epochs: number('epochs', str('epochs'), 5, positiveInt, 'a positive integer'),
      batchSize: number('batch-size', str('batch-size'), 32, positiveInt, 'a positive integer'),
      valSplit: number('val-split', str('val-split'), 0.2, (v) => v >= 0 && v < 1, 'a fraction in [0, 1)'),
      seed: number('seed', str('seed'), 0, (v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff, 'an integer in [0, 2^32)'),
      featureScale: number('feature-scale', str('feature-scale'), 1, positive, 'a positive number'),
      inputName: str('input-name'),
      loss: loss as LossName,
      executionProvider: provider as CliExecutionProvider,
      out: str('out') ?? join(dirname(model), `${basename(model, extname(model))}.tuned.onnx`),
      progress: !values['no-progress'],
    },
  };
}
