import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeModel, encodeModel, GraphBuilder, tensorToArray } from '@ortrain/graph-builder';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { readCsv } from '@ortrain/trainer';
import { accuracy } from './plain-inference';

const BIN = join(__dirname, '..', 'bin', 'ortrain.js');
const MODEL = join(__dirname, '..', 'models', 'digits-mlp.onnx');
const DIGITS = join(__dirname, '..', 'data', 'digits.csv');

function ortrain(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Accuracy of a model file on every digits row, run by plain onnxruntime-node. */
async function plainAccuracy(path: string): Promise<number> {
  const t = await readCsv(DIGITS);
  const features = Float32Array.from({ length: t.rowCount * 64 }, (_, i) => t.values[Math.floor(i / 64) * 65 + (i % 64)] / 16);
  const labels = Float64Array.from({ length: t.rowCount }, (_, r) => t.values[r * 65 + 64]);
  const session = await InferenceSession.create(path);
  const { logits } = await session.run({ input: new Tensor('float32', features, [t.rowCount, 64]) });
  await session.release();
  return accuracy(logits.data as Float32Array, labels);
}

function initializers(path: string): Map<string, Float32Array> {
  const graph = decodeModel(readFileSync(path)).graph!;
  return new Map((graph.initializer ?? []).map((t) => [t.name!, tensorToArray(t) as Float32Array]));
}

describe('ortrain finetune end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ortrain-e2e-'));

  test('trains every layer, exports a model that plain onnxruntime-node runs, far above chance', async () => {
    const before = await plainAccuracy(MODEL);
    const out = join(dir, 'tuned.onnx');
    const r = ortrain([
      'finetune', MODEL, '--data', DIGITS, '--label-column', 'label', '--feature-scale', '0.0625', '--optimizer', 'adam',
      '--lr', '3e-3', '--epochs', '3', '--batch-size', '32', '--seed', '1', '--out', out, '--no-progress',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/epoch 3\/3 +loss \d/);
    expect(r.stdout).toContain(`exported ${out}`);
    const after = await plainAccuracy(out);
    expect(before).toBeLessThan(0.3);
    expect(after).toBeGreaterThan(0.8);
    // The CLI's own check: the export agrees with the training session on the held-out rows.
    const m = /held-out rows \(359\): loss [\d.]+, accuracy ([\d.]+)%/.exec(r.stdout);
    const p = /plain onnxruntime-node on the exported model: max output difference ([\d.e+-]+), accuracy ([\d.]+)%/.exec(r.stdout);
    expect(m && p).toBeTruthy();
    expect(p![2]).toBe(m![1]);
    expect(Number(p![1])).toBeLessThan(1e-4);
  });

  test('--damper padadamp grows the batch as training goes, and the progress lines show batch size and lr', async () => {
    const out = join(dir, 'damped.onnx');
    const r = ortrain([
      'finetune', MODEL, '--data', DIGITS, '--feature-scale', '0.0625', '--optimizer', 'sgd', '--lr', '0.1', '--epochs', '3',
      '--damper', 'padadamp', '--initial-batch-size', '8', '--max-batch-size', '256', '--damper-opt', 'growthRate=0.5',
      '--damper-opt', 'dwell=1', '--damper-opt', 'wait=0', '--seed', '2', '--out', out, '--no-progress',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('damper padadamp from batch 8 up to 256');
    const batches = [...r.stdout.matchAll(/epoch \d\/3 +loss [\d.]+ +batch (\d+) +lr 0\.1 /g)].map((m) => Number(m[1]));
    expect(batches.length).toBe(3);
    // ceil(8 + 0.5 k): the last batch of each epoch is larger than the one before.
    expect(batches[0]).toBeGreaterThan(8);
    expect(batches[1]).toBeGreaterThan(batches[0]);
    expect(batches[2]).toBeGreaterThan(batches[1]);
    expect(await plainAccuracy(out)).toBeGreaterThan(0.8);
  });

  test('a data file with another delimiter and no header', async () => {
    const t = await readCsv(DIGITS);
    const lines = Array.from({ length: t.rowCount }, (_, r) => Array.from(t.values.subarray(r * 65, r * 65 + 65)).join(';'));
    const data = join(dir, 'digits-semicolon.csv');
    writeFileSync(data, lines.join('\n'));
    const out = join(dir, 'semicolon.onnx');
    const r = ortrain([
      'finetune', MODEL, '--data', data, '--delimiter', ';', '--no-header', '--label-column', '65', '--feature-scale', '0.0625',
      '--lr', '3e-3', '--epochs', '2', '--out', out, '--no-progress',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await plainAccuracy(out)).toBeGreaterThan(0.7);
  });

  test('--trainable trains only the matching initializers; the others leave unchanged', async () => {
    const out = join(dir, 'head-only.onnx');
    const r = ortrain([
      'finetune', MODEL, '--data', DIGITS, '--feature-scale', '0.0625', '--trainable', '^net\\.2\\.', '--optimizer', 'sgd',
      '--lr', '0.1', '--epochs', '1', '--out', out, '--no-progress',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2 trainable initializers');
    const original = initializers(MODEL);
    const tuned = initializers(out);
    expect([...tuned.keys()].sort()).toEqual([...original.keys()].sort());
    expect(tuned.get('net.0.weight')).toEqual(original.get('net.0.weight'));
    expect(tuned.get('net.0.bias')).toEqual(original.get('net.0.bias'));
    expect(tuned.get('net.2.weight')).not.toEqual(original.get('net.2.weight'));
    expect(await plainAccuracy(out)).toBeGreaterThan(0.3);
  });

  test('regression with mse: a linear model on a CSV recovers the coefficients', () => {
    // y = 2 x0 - x1 + 0.5 x2 + 1, exactly; the model is Gemm(x, W, b) with W and b starting at zero.
    const g = new GraphBuilder('linear');
    const x = g.input('x', 'float32', ['batch', 3]);
    const W = g.initializer('W', 'float32', [3, 1], new Float32Array(3));
    const b = g.initializer('b', 'float32', [1], new Float32Array(1));
    g.output(g.op('Gemm', [x, W, b]), 'y', ['batch', 1]);
    const model = join(dir, 'linear.onnx');
    writeFileSync(model, encodeModel(g.build()));
    const random = (() => {
      let s = 1;
      return () => ((s = (s * 48271) % 2147483647) / 2147483647) * 2 - 1;
    })();
    const lines = ['target,a,b,c'];
    for (let i = 0; i < 200; i++) {
      const [a, bb, c] = [random(), random(), random()];
      lines.push([2 * a - bb + 0.5 * c + 1, a, bb, c].join(','));
    }
    const data = join(dir, 'linear.csv');
    writeFileSync(data, lines.join('\n'));
    const out = join(dir, 'linear.tuned.onnx');
    const r = ortrain([
      'finetune', model, '--data', data, '--label-column', 'target', '--loss', 'mse', '--optimizer', 'sgd', '--lr', '0.2',
      '--epochs', '40', '--batch-size', '20', '--out', out, '--no-progress',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const loss = Number(/held-out rows \(40\): loss ([\d.e+-]+)/.exec(r.stdout)![1]);
    expect(loss).toBeLessThan(1e-4);
    const w = initializers(out);
    const got = [...w.get('W')!, ...w.get('b')!];
    [2, -1, 0.5, 1].forEach((v, i) => expect(got[i]).toBeCloseTo(v, 2));
  });

  const icd = process.env.VK_ICD_FILENAMES ?? '/usr/lib/chromium/vk_swiftshader_icd.json';
  const webgpu = existsSync(icd) || process.env.CI ? test : test.skip;
  if (webgpu === test.skip) console.log(`skipping the WebGPU fine-tuning test: no Vulkan driver at ${icd} and CI is not set`);
  webgpu('--execution-provider webgpu trains and exports the same way (SwiftShader without a GPU)', async () => {
    const out = join(dir, 'webgpu.onnx');
    const r = ortrain(
      ['finetune', MODEL, '--data', DIGITS, '--feature-scale', '0.0625', '--lr', '3e-3', '--epochs', '1', '--execution-provider', 'webgpu', '--out', out, '--no-progress'],
      { ...process.env, VK_ICD_FILENAMES: icd },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/cross_entropy, webgpu\n/);
    expect(Number(/max output difference ([\d.e+-]+)/.exec(r.stdout)![1])).toBeLessThan(1e-4);
    expect(await plainAccuracy(out)).toBeGreaterThan(0.5);
  });
});
