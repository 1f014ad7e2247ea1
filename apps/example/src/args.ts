import { basename, dirname, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { InputError } from './errors';

/** The losses the CLI offers, by the trainer's names. */
export const LOSSES = ['cross_entropy', 'mse', 'l1', 'bce_with_logits'] as const;
export type LossName = (typeof LOSSES)[number];

/** A damper of @ortrain/damping by name, with the options given on the command line. */
export interface DamperChoice {
  name: string;
  initialBatchSize?: number;
  maxBatchSize?: number;
  /** --damper-opt key=value pairs: numbers, true/false, or strings. */
  options: Record<string, number | boolean | string>;
}

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
  /** Options of the optimizer from `--opt key=value` (values read as JSON when they parse: numbers, booleans, arrays). */
  optimizerOptions: Record<string, unknown>;
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
  /** --sam <rho> [--asam]: SAM (ASAM) around the optimizer. */
  sam?: { rho: number; adaptive: boolean };
  /** --lookahead or --scout <rate,period>: slow weights around it (and around SAM). */
  slow?: { kind: 'lookahead' | 'scout'; syncRate: number; syncPeriod: number };
  /** Cell separator of the data file. */
  delimiter: string;
  /** Whether the data file's first line names the columns. */
  header: boolean;
  /** Set: the damper sets each update's batch size and lr (and batchSize is unused). */
  damper?: DamperChoice;
}

export type Command = { kind: 'help'; text: string } | { kind: 'finetune'; options: FinetuneOptions };

export const USAGE = `ortrain: train ONNX models on stock ONNX Runtime

Usage:
  ortrain finetune <model.onnx> --data <train.csv> [options]
  ortrain --help | ortrain finetune --help

Fine-tunes the model's float initializers on a CSV file: a header row of column names (unless --no-header),
then one row of numbers per sample. Every column but the label column is a feature, in file order; the features of a row
fill one sample of the model input (all its dimensions after the batch one). The trained model is written
as a plain ONNX file that any ONNX Runtime loads.

Options:
  --data <file>                 training data, CSV with a header row (required)
  --delimiter <char>            cell separator of the data file, e.g. ';' or tab (default: ,)
  --no-header                   the data file has no header row: columns are named 1, 2, ... by position
  --label-column <name>         the label column (default: label)
  --trainable <regex>           train only the initializers whose names match (default: every float one)
  --loss <name>                 ${LOSSES.join(' | ')} (default: cross_entropy)
  --optimizer <name>            a registered optimizer of @ortrain/optimizers, e.g. adam, adamw, sgd, lamb,
                                lars, adan (case-insensitive; default: adam)
  --opt <key=value>             an option of the optimizer, repeatable: --opt weightDecay=0.01
                                --opt betas=[0.9,0.99] --opt compat=holocron (snake_case names work too)
  --lr <number>                 learning rate (default: 1e-3)
  --sam <rho>                   sharpness-aware minimisation around the optimizer, radius rho (e.g. 0.05)
  --asam                        with --sam: its adaptive form (ASAM)
  --lookahead <rate,period>     Lookahead around the optimizer: sync rate in [0, 1], period in steps (e.g. 0.5,6)
  --scout <rate,period>         Scout (holocron's Lookahead with an adaptive rate), same arguments
  --epochs <n>                  passes over the training rows (default: 5)
  --batch-size <n>              rows per training step (default: 32)
  --damper <name>               let a damper of @ortrain/damping set each update's batch size and lr:
                                padadamp, geodamp, geodamplr, radadamp, adadamp, adadampnn, cntsdamplr, ...
  --initial-batch-size <n>      the damper's first batch size (default: the damper's, 1)
  --max-batch-size <n>          the damper's largest batch; beyond it the lr decays (default: the training rows)
  --damper-opt <key=value>      another damper option in camelCase, e.g. growthRate=0.01, dwell=1, wait=0
                                (repeatable)
  --val-split <fraction>        share of rows held out for validation, in [0, 1) (default: 0.2)
  --seed <n>                    seed of the split and the shuffles (default: 0)
  --feature-scale <number>      multiply every feature by this, e.g. 0.0625 for 0..16 pixels (default: 1)
  --input-name <name>           the model input the features feed (needed when the model has several)
  --execution-provider <name>   ${EXECUTION_PROVIDERS.join(' | ')} (default: cpu)
  --out <file>                  where to write the trained model (default: <model>.tuned.onnx)
  --no-progress                 print one line per epoch instead of a progress bar
  -h, --help                    show this help

Examples (from the repository's root; the digits model's last layer is net.2):
  ortrain finetune apps/example/models/digits-mlp.onnx --data apps/example/data/digits.csv \\
    --feature-scale 0.0625 --trainable '^net\\.2\\.' --lr 1e-2 --out apps/example/out/digits-tuned.onnx
  ortrain finetune apps/example/models/digits-mlp.onnx --data apps/example/data/digits.csv \\
    --feature-scale 0.0625 --optimizer sgd --lr 0.05 --epochs 5 \\
    --damper padadamp --initial-batch-size 8 --max-batch-size 256 --damper-opt growthRate=0.1 --damper-opt dwell=1
`;

const STRING_OPTIONS = [
  'data', 'label-column', 'trainable', 'loss', 'optimizer', 'lr', 'epochs', 'batch-size', 'val-split', 'seed',
  'feature-scale', 'input-name', 'execution-provider', 'out', 'sam', 'lookahead', 'scout',
  'delimiter', 'damper', 'initial-batch-size', 'max-batch-size',
] as const;

function number(option: string, raw: string | undefined, fallback: number, check: (v: number) => boolean, expected: string): number {
  if (raw === undefined) return fallback;
  const v = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(v) || !check(v)) throw new InputError(`--${option}: expected ${expected}, got '${raw}'`);
  return v;
}

/** `--opt key=value` pairs as options: keys in camelCase (snake_case converted), values as JSON where they parse. */
function optimizerOptions(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new InputError(`--opt: expected key=value, got '${pair}'`);
    const key = pair.slice(0, at).trim().replace(/[_-]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    const raw = pair.slice(at + 1).trim();
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // not JSON: the string itself (compat=holocron)
    }
    if (key === 'lr') throw new InputError('--opt: set the learning rate with --lr');
    out[key] = value;
  }
  return out;
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
    ['opt', { type: 'string' as const, multiple: true }],
    ['help', { type: 'boolean' as const, short: 'h' }],
    ['no-progress', { type: 'boolean' as const }],
    ['asam', { type: 'boolean' as const }],
    ['no-header', { type: 'boolean' as const }],
    ['damper-opt', { type: 'string' as const, multiple: true }],
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
  const delimiter = str('delimiter') ?? ',';
  if (delimiter === '' || /["\r\n]/.test(delimiter)) throw new InputError(`--delimiter: expected a separator such as ';', got ${JSON.stringify(delimiter)}`);
  const damper = damperChoice(values, str, positiveInt);
  if (damper && str('batch-size') !== undefined) {
    throw new InputError('--batch-size: a damper sets the batch size of every update; give --initial-batch-size instead');
  }

  return {
    kind: 'finetune',
    options: {
      model,
      data,
      labelColumn,
      trainable,
      optimizer: (str('optimizer') ?? 'adam').toLowerCase(),
      optimizerOptions: optimizerOptions((values.opt as unknown as string[] | undefined) ?? []),
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
      ...wrapperOptions(str, !!values.asam),
      delimiter: delimiter === 'tab' || delimiter === '\\t' ? '\t' : delimiter,
      header: !values['no-header'],
      ...(damper ? { damper } : {}),
    },
  };
}

/** --sam, --asam, --lookahead and --scout, checked. */
function wrapperOptions(str: (name: string) => string | undefined, asam: boolean): Pick<FinetuneOptions, 'sam' | 'slow'> {
  const out: Pick<FinetuneOptions, 'sam' | 'slow'> = {};
  const rho = str('sam');
  if (rho !== undefined) out.sam = { rho: number('sam', rho, 0.05, (v) => v >= 0, 'a number >= 0 (the radius rho)'), adaptive: asam };
  else if (asam) throw new InputError('--asam: needs --sam <rho> (ASAM is the adaptive form of SAM)');
  if (str('lookahead') !== undefined && str('scout') !== undefined) throw new InputError('--lookahead and --scout: give one of them (both keep slow weights)');
  for (const kind of ['lookahead', 'scout'] as const) {
    const raw = str(kind);
    if (raw === undefined) continue;
    const parts = raw.split(',');
    const rate = parts.length === 2 ? Number(parts[0]) : NaN;
    const period = parts.length === 2 ? Number(parts[1]) : NaN;
    if (parts.length !== 2 || parts.some((x) => x.trim() === '') || !(rate >= 0 && rate <= 1) || !Number.isInteger(period) || period < 1) {
      throw new InputError(`--${kind}: expected <rate,period>, a sync rate in [0, 1] and a whole number of steps >= 1 (e.g. 0.5,6), got '${raw}'`);
    }
    out.slow = { kind, syncRate: rate, syncPeriod: period };
  }
  return out;
}

/** --damper and its options; the damper options without --damper are an error. */
function damperChoice(values: Record<string, unknown>, str: (name: string) => string | undefined, positiveInt: (v: number) => boolean): DamperChoice | undefined {
  const name = str('damper');
  const pairs = (values['damper-opt'] as string[] | undefined) ?? [];
  if (name === undefined) {
    for (const o of ['initial-batch-size', 'max-batch-size']) if (str(o) !== undefined) throw new InputError(`--${o}: only with --damper`);
    if (pairs.length) throw new InputError('--damper-opt: only with --damper');
    return undefined;
  }
  if (name.trim() === '') throw new InputError('--damper: expected a damper name, got an empty string');
  const options: Record<string, number | boolean | string> = {};
  for (const pair of pairs) {
    const m = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(pair);
    if (!m) throw new InputError(`--damper-opt: expected key=value (a damper option in camelCase), got '${pair}'`);
    const raw = m[2].trim();
    options[m[1]] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  const initial = str('initial-batch-size');
  const max = str('max-batch-size');
  return {
    name: name.toLowerCase(),
    ...(initial !== undefined ? { initialBatchSize: number('initial-batch-size', initial, 1, positiveInt, 'a positive integer') } : {}),
    ...(max !== undefined ? { maxBatchSize: number('max-batch-size', max, 1, positiveInt, 'a positive integer') } : {}),
    options,
  };
}
