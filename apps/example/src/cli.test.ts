import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './cli';

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(__dirname, '..', 'bin', 'ortrain.js');
const MODEL = join(__dirname, '..', 'models', 'digits-mlp.onnx');
const DIGITS = join(__dirname, '..', 'data', 'digits.csv');

/** Runs the installed command as users do, in a child process. */
function ortrain(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs main() in this process, capturing what it prints. */
async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, (l) => out.push(l), (l) => err.push(l));
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

const dir = mkdtempSync(join(tmpdir(), 'ortrain-cli-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('ortrain as a child process', () => {
  test('--help prints the usage and exits 0', () => {
    const r = ortrain(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ortrain finetune <model.onnx> --data <train.csv>');
    expect(r.stdout).toContain('--execution-provider');
  });

  test('works from another directory too', () => {
    const r = ortrain(['finetune', '--help'], tmpdir());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage:');
  });

  test('a missing model file: exit 2, naming the path', () => {
    const r = ortrain(['finetune', join(dir, 'nope.onnx'), '--data', DIGITS]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`ortrain: model file not found: ${join(dir, 'nope.onnx')}`);
  });

  test('an unknown optimizer: exit 2, listing the known ones', () => {
    const r = ortrain(['finetune', MODEL, '--data', DIGITS, '--optimizer', 'adamz']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ortrain: --optimizer: unknown optimizer 'adamz' \(known: .*adam, .*sgd/);
  });

  test('npx ortrain from the repository root', () => {
    const r = spawnSync('npx', ['--no-install', 'ortrain', '--frobnicate'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("ortrain: unknown option '--frobnicate' (see ortrain --help)");
  });
});

/** The `npx ortrain ...` commands of a README, continuation lines joined. */
function readmeCommands(readme: string): string[] {
  const text = readFileSync(readme, 'utf8').replace(/\\\n\s*/g, '');
  return text.split('\n').filter((l) => l.startsWith('npx ortrain '));
}

describe("the READMEs' ortrain commands run as written, from the repository's root", () => {
  const readmes = [join(ROOT, 'README.md'), join(__dirname, '..', 'README.md')];
  test.each(readmes)('%s', (readme) => {
    const commands = readmeCommands(readme);
    expect(commands.some((c) => c.startsWith('npx ortrain finetune '))).toBe(true);
    for (const command of commands) {
      const r = spawnSync('bash', ['-c', command.replace(/^npx /, 'npx --no-install ')], { cwd: ROOT, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${command}\nexited ${r.status}: ${r.stderr}`);
      if (command.includes(' finetune ')) expect(r.stdout).toMatch(/plain onnxruntime-node on the exported model: max output difference/);
    }
  });
});

test('--lr 1e9: one warning that the loss diverges, naming the lr', async () => {
  const r = await run(['finetune', MODEL, '--data', DIGITS, '--feature-scale', '0.0625', '--lr', '1e9', '--epochs', '1', '--no-progress', '--out', join(dir, 'wild.onnx')]);
  const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning:'));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/^warning: the training loss grew from [\d.e+-]+ \(step \d+\) to [\d.e+-]+ \(step \d+\), \d+ orders of magnitude: the lr \(1000000000\) is probably too large$/);
  const sane = await run(['finetune', MODEL, '--data', DIGITS, '--feature-scale', '0.0625', '--lr', '1e-2', '--epochs', '1', '--no-progress', '--out', join(dir, 'sane.onnx')]);
  expect(sane.stderr).toBe('');
});

describe('ortrain errors (exit code 2, message naming the thing)', () => {
  test.each([
    [['--lr', '-1'], "ortrain: --lr: expected a positive number, got '-1'"],
    [['--epochs', '0'], "ortrain: --epochs: expected a positive integer, got '0'"],
    [['--batch-size', '0'], "ortrain: --batch-size: expected a positive integer, got '0'"],
    [['--bogus', '1'], "ortrain: unknown option '--bogus'"],
    [['--optimizer', 'adamz'], "ortrain: --optimizer: unknown optimizer 'adamz' (known: "],
    [['--optimizer', 'lamb', '--opt', 'scaleClip=[2,1]'], 'ortrain: --opt: LAMB: invalid scaleClip [2, 1]'],
    [['--optimizer', 'lars', '--opt', 'trust_coefficient=-1'], 'ortrain: --opt: LARS: invalid trustCoefficient -1'],
    [['--optimizer', 'adan', '--opt', 'nesterov=true'], "ortrain: --opt: Adan: unknown option 'nesterov'"],
    [['--trainable', '^nothing'], "ortrain: --trainable: /^nothing/ matches none of the float initializers of"],
  ])('%j', async (extra, message) => {
    const r = await run(['finetune', MODEL, '--data', DIGITS, ...(extra as string[])]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message as string);
  });

  test('a missing data file', async () => {
    const r = await run(['finetune', MODEL, '--data', join(dir, 'none.csv')]);
    expect(r).toMatchObject({ code: 2, stderr: `ortrain: data file not found: ${join(dir, 'none.csv')}` });
  });

  test('a data file whose column count does not fit the model input', async () => {
    const data = file('narrow.csv', 'a,b,label\n1,2,0\n3,4,1\n');
    const r = await run(['finetune', MODEL, '--data', data]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`ortrain: ${data} has 2 feature columns (every column but 'label'), but input 'input' of ${MODEL} takes 64 values per row (shape [batch, 64])`);
  });

  test('a missing label column', async () => {
    const r = await run(['finetune', MODEL, '--data', DIGITS, '--label-column', 'digit']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`ortrain: ${DIGITS}: no label column 'digit' (columns: p0, p1,`);
  });

  test('a non-numeric cell, by line and column', async () => {
    const header = [...Array.from({ length: 64 }, (_, i) => `p${i}`), 'label'].join(',');
    const good = [...Array(64).fill('0'), '1'].join(',');
    const bad = [...Array(10).fill('0'), 'x7', ...Array(53).fill('0'), '1'].join(',');
    const data = file('bad.csv', [header, good, bad].join('\n'));
    const r = await run(['finetune', MODEL, '--data', data]);
    expect(r).toMatchObject({ code: 2, stderr: `ortrain: ${data}: line 3, column 'p10': 'x7' is not a finite number` });
  });

  test('a file that is not an ONNX model', async () => {
    const r = await run(['finetune', DIGITS, '--data', DIGITS]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`ortrain: ${DIGITS}: not a valid ONNX model`);
  });

  test('labels outside the model classes', async () => {
    const header = [...Array.from({ length: 64 }, (_, i) => `p${i}`), 'label'].join(',');
    const data = file('labels.csv', [header, [...Array(64).fill('1'), '10'].join(',')].join('\n'));
    const r = await run(['finetune', MODEL, '--data', data]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("label 10 in data row 1 (line 2) is not a class index 0..9 for output 'logits'");
  });
});

describe('ortrain finetune in this process', () => {
  test('--val-split 0 trains on every row and evaluates on the training rows', async () => {
    const out = join(dir, 'all-rows.onnx');
    const r = await run(['finetune', MODEL, '--data', DIGITS, '--feature-scale', '0.0625', '--epochs', '1', '--val-split', '0', '--out', out, '--no-progress']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1797 training rows, none held out (evaluating on the training rows)');
    expect(r.stdout).toMatch(/training rows \(1797\): loss [\d.]+, accuracy [\d.]+%/);
    expect(r.stdout).toContain(`exported ${out}`);
  });
});


describe('--optimizer takes any registered optimizer, --opt its options', () => {
  test('LAMB with weight decay fine-tunes the digits MLP far above chance', async () => {
    const out = join(dir, 'lamb.onnx');
    const r = await run(['finetune', MODEL, '--data', DIGITS, '--feature-scale', '0.0625', '--optimizer', 'LAMB', '--lr', '0.01',
      '--opt', 'weight_decay=0.01', '--opt', 'scaleClip=[0,10]', '--epochs', '2', '--seed', '3', '--out', out, '--no-progress']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('lamb lr 0.01');
    const m = /held-out rows \(\d+\): loss [\d.]+, accuracy ([\d.]+)%/.exec(r.stdout);
    expect(m).toBeTruthy();
    expect(Number(m![1])).toBeGreaterThan(50);
  });
});
