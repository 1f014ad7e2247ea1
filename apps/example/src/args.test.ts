import { join } from 'node:path';
import { parseCommand, USAGE, type FinetuneOptions } from './args';
import { InputError } from './errors';

function finetuneOptions(argv: string[]): FinetuneOptions {
  const c = parseCommand(argv);
  if (c.kind !== 'finetune') throw new Error(`expected a finetune command, got ${c.kind}`);
  return c.options;
}

const base = ['finetune', 'm.onnx', '--data', 'd.csv'];

describe('parseCommand', () => {
  test('help: --help, -h, help, no arguments, and finetune --help', () => {
    for (const argv of [['--help'], ['-h'], ['help'], [], ['finetune', '--help']]) {
      expect(parseCommand(argv)).toEqual({ kind: 'help', text: USAGE });
    }
    expect(USAGE).toContain('ortrain finetune <model.onnx> --data <train.csv>');
  });

  test('the documented command line, with every option', () => {
    const o = finetuneOptions([
      'finetune', 'model.onnx', '--data', 'train.csv', '--label-column', 'y', '--trainable', '^fc\\.', '--optimizer', 'AdamW',
      '--lr', '3e-4', '--epochs', '7', '--batch-size', '16', '--out', 'tuned.onnx', '--loss', 'mse', '--input-name', 'x',
      '--val-split', '0.1', '--seed', '42', '--execution-provider', 'webgpu', '--feature-scale', '0.5', '--no-progress',
      '--opt', 'weight_decay=0.05', '--opt', 'betas=[0.9,0.99]', '--opt', 'amsgrad=true',
    ]);
    expect(o).toEqual({
      model: 'model.onnx', data: 'train.csv', labelColumn: 'y', trainable: /^fc\./, optimizer: 'adamw', lr: 3e-4, epochs: 7,
      optimizerOptions: { weightDecay: 0.05, betas: [0.9, 0.99], amsgrad: true },
      batchSize: 16, out: 'tuned.onnx', loss: 'mse', inputName: 'x', valSplit: 0.1, seed: 42, executionProvider: 'webgpu',
      featureScale: 0.5, progress: false, delimiter: ',', header: true,
    });
  });

  test('a damper with its options, another delimiter, no header', () => {
    const o = finetuneOptions([...base, '--damper', 'PadaDamp', '--initial-batch-size', '8', '--max-batch-size', '256',
      '--damper-opt', 'growthRate=0.01', '--damper-opt', 'dwell=1', '--damper-opt', 'approx=true', '--damper-opt', 'reduction=min',
      '--delimiter', 'tab', '--no-header']);
    expect(o.damper).toEqual({ name: 'padadamp', initialBatchSize: 8, maxBatchSize: 256, options: { growthRate: 0.01, dwell: 1, approx: true, reduction: 'min' } });
    expect(o.delimiter).toBe('\t');
    expect(o.header).toBe(false);
  });

  test('defaults', () => {
    const o = finetuneOptions(['finetune', join('dir', 'model.onnx'), '--data', 'd.csv']);
    expect(o).toMatchObject({
      labelColumn: 'label', optimizer: 'adam', lr: 1e-3, epochs: 5, batchSize: 32, loss: 'cross_entropy', valSplit: 0.2,
      seed: 0, executionProvider: 'cpu', featureScale: 1, progress: true, out: join('dir', 'model.tuned.onnx'),
    });
    expect(o.trainable).toBeUndefined();
    expect(o.inputName).toBeUndefined();
    expect(o.optimizerOptions).toEqual({});
  });

  test('--opt: strings stay strings, a pair without = and --opt lr are errors', () => {
    const o = finetuneOptions(['finetune', 'm.onnx', '--data', 'd.csv', '--optimizer', 'lars', '--opt', 'compat=holocron', '--opt', 'scaleClip=[0,5]']);
    expect(o.optimizerOptions).toEqual({ compat: 'holocron', scaleClip: [0, 5] });
    expect(() => finetuneOptions(['finetune', 'm.onnx', '--data', 'd.csv', '--opt', 'momentum'])).toThrow("--opt: expected key=value, got 'momentum'");
    expect(() => finetuneOptions(['finetune', 'm.onnx', '--data', 'd.csv', '--opt', 'lr=0.1'])).toThrow('--opt: set the learning rate with --lr');
  });

  test.each([
    [['--lr', '-1'], "--lr: expected a positive number, got '-1'"],
    [['--lr=-1'], "--lr: expected a positive number, got '-1'"],
    [['--lr', '0'], "--lr: expected a positive number, got '0'"],
    [['--lr', 'fast'], "--lr: expected a positive number, got 'fast'"],
    [['--epochs', '0'], "--epochs: expected a positive integer, got '0'"],
    [['--epochs', '2.5'], "--epochs: expected a positive integer, got '2.5'"],
    [['--batch-size', '0'], "--batch-size: expected a positive integer, got '0'"],
    [['--batch-size', '-4'], "--batch-size: expected a positive integer, got '-4'"],
    [['--val-split', '1'], "--val-split: expected a fraction in [0, 1), got '1'"],
    [['--seed', '-1'], "--seed: expected an integer in [0, 2^32), got '-1'"],
    [['--feature-scale', '0'], "--feature-scale: expected a positive number, got '0'"],
    [['--loss', 'hinge'], "--loss: unknown loss 'hinge' (known: cross_entropy, mse, l1, bce_with_logits)"],
    [['--execution-provider', 'tpu'], "--execution-provider: unknown provider 'tpu' (known: cpu, webgpu, cuda)"],
    [['--trainable', '('], "--trainable: '(' is not a valid regular expression"],
    [['--label-column', ''], '--label-column: expected a column name, got an empty string'],
    [['--frobnicate'], "unknown option '--frobnicate' (see ortrain --help)"],
    [['--lr'], "option '--lr' needs a value"],
    [['--damper', 'padadamp', '--batch-size', '16'], '--batch-size: a damper sets the batch size of every update; give --initial-batch-size instead'],
    [['--initial-batch-size', '8'], '--initial-batch-size: only with --damper'],
    [['--damper-opt', 'dwell=1'], '--damper-opt: only with --damper'],
    [['--damper', 'geodamp', '--damper-opt', 'dwell'], "--damper-opt: expected key=value (a damper option in camelCase), got 'dwell'"],
    [['--damper', 'geodamp', '--max-batch-size', '0'], "--max-batch-size: expected a positive integer, got '0'"],
    [['--delimiter', '"'], '--delimiter: expected a separator'],
  ])('bad option %j: %s', (extra, message) => {
    expect(() => parseCommand([...base, ...(extra as string[])])).toThrow(InputError);
    expect(() => parseCommand([...base, ...(extra as string[])])).toThrow(message as string);
  });

  test('missing data, missing or extra model file, unknown command', () => {
    expect(() => parseCommand(['finetune', 'm.onnx'])).toThrow('--data: the training CSV file is required');
    expect(() => parseCommand(['finetune', '--data', 'd.csv'])).toThrow('finetune: give the model file');
    expect(() => parseCommand(['finetune', 'a.onnx', 'b.onnx', '--data', 'd.csv'])).toThrow('one model file expected, got 2: a.onnx b.onnx');
    expect(() => parseCommand(['train', 'm.onnx'])).toThrow("unknown command 'train' (commands: finetune");
  });

  test('--sam, --asam, --lookahead and --scout', () => {
    expect(finetuneOptions([...base, '--sam', '0.05', '--asam', '--lookahead', '0.5,6'])).toMatchObject({ sam: { rho: 0.05, adaptive: true }, slow: { kind: 'lookahead', syncRate: 0.5, syncPeriod: 6 } });
    expect(finetuneOptions([...base, '--sam', '0.1'])).toMatchObject({ sam: { rho: 0.1, adaptive: false } });
    expect(finetuneOptions([...base, '--scout', '0.2,3'])).toMatchObject({ slow: { kind: 'scout', syncRate: 0.2, syncPeriod: 3 } });
    expect(finetuneOptions(base).sam).toBeUndefined();
    const bad: [string[], string][] = [
      [['--sam', '-1'], "--sam: expected a number >= 0 (the radius rho), got '-1'"],
      [['--asam'], '--asam: needs --sam <rho>'],
      [['--lookahead', '0.5'], "--lookahead: expected <rate,period>"],
      [['--lookahead', '1.5,6'], "--lookahead: expected <rate,period>"],
      [['--scout', '0.5,0'], "--scout: expected <rate,period>"],
      [['--lookahead', '0.5,6', '--scout', '0.5,6'], '--lookahead and --scout: give one of them'],
    ];
    for (const [extra, message] of bad) {
      expect(() => finetuneOptions([...base, ...extra])).toThrow(InputError);
      expect(() => finetuneOptions([...base, ...extra])).toThrow(message);
    }
  });

  test('a later option overrides an earlier one (the digits job passes defaults first)', () => {
    expect(finetuneOptions([...base, '--epochs', '3', '--epochs', '9']).epochs).toBe(9);
  });
});
