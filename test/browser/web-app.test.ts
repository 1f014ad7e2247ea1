// The training page (apps/example/web, `npm run web`) in headless Chromium: the digits demo trains on WASM
// and on WebGPU (SwiftShader) to at least 95% held-out accuracy with the losses of a Node CPU run of the
// same seed, the downloaded model predicts in onnxruntime-node what the page predicted, files chosen by hand
// train (with Stop, Resume and a checkpoint round trip), and each mistake a user can make shows its message.
import { encodeModel, GraphBuilder } from '@ortrain/graph-builder';
import * as ortNode from 'onnxruntime-node';
import { copyFileSync, mkdtempSync, readFileSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { Browser, Page } from 'playwright-core';
import { parseCsv } from '@ortrain/trainer';
import { DEMO_CONFIG } from '../../apps/example/web/demo';
import type { TrainConfig } from '../../apps/example/web/protocol';
import { prepareJob } from '../../apps/example/web/job';
import { runFit } from '../../apps/example/web/train-loop';
import { browserTestsRun, launchChromium } from './run-in-browser';
import { choose, download, openPage, seen, startSite, waitForResult, type WebSite } from './web-app';

const APP = join(__dirname, '..', '..', 'apps', 'example');
const DIGITS_MODEL = readFileSync(join(APP, 'models', 'digits-mlp.onnx'));
const DIGITS_CSV = readFileSync(join(APP, 'data', 'digits.csv'), 'utf8');
/** Where the README's screenshot lives; the WASM demo test rewrites it when ORTRAIN_WRITE_SCREENSHOT=1. */
const SCREENSHOT = join(APP, 'web', 'screenshot.png');
/** Steps whose losses must match the Node CPU run. */
const COMPARED_STEPS = 20;

/** The first losses (all, without `steps`) of a configuration trained by the same loop (fit) in Node, on onnxruntime-node's CPU provider. */
async function nodeDemoLosses(config: TrainConfig = { ...DEMO_CONFIG, backend: 'wasm' }, steps = COMPARED_STEPS): Promise<number[]> {
  const job = await prepareJob(config,
    { model: new Uint8Array(DIGITS_MODEL).buffer, modelName: 'digits-mlp.onnx', csv: new Blob([DIGITS_CSV]), csvName: 'digits.csv' },
    { ort: ortNode, executionProviders: ['cpu'] });
  const losses: number[] = [];
  const stop = new AbortController();
  try {
    await runFit(job, {
      step: (_, loss) => {
        losses.push(loss);
        if (losses.length === steps) stop.abort();
      },
      epoch: () => undefined,
    }, { signal: stop.signal });
  } finally {
    await job.session.release();
  }
  return losses;
}

function expectSameLosses(page: number[], node: number[], tolerance: number): void {
  expect(node).toHaveLength(COMPARED_STEPS);
  expect(page.length).toBeGreaterThanOrEqual(COMPARED_STEPS);
  const worst = node.reduce((w, x, i) => Math.max(w, Math.abs(page[i] - x) / Math.max(1, Math.abs(x))), 0);
  expect(worst).toBeLessThan(tolerance);
  // The loss moved: a run that did not train would still match at step 1 only.
  expect(node[COMPARED_STEPS - 1]).toBeLessThan(node[0] - 0.1);
}

/** A linear model y = x W^T + b on 3 features, for the file-input test (regression with mse). */
function linearModel(): Buffer {
  const g = new GraphBuilder('linear');
  const x = g.input('x', 'float32', ['batch', 3]);
  const w = g.initializer('w', 'float32', [1, 3], new Float32Array([0.1, -0.2, 0.05]));
  const b = g.initializer('b', 'float32', [1], new Float32Array([0]));
  g.output(g.op('Gemm', [x, w, b], { transB: 1 }), 'y', ['batch', 1]);
  return Buffer.from(encodeModel(g.build()));
}

/** y = 2a - b + 0.5c + 1 on 200 rows of a seeded grid. */
function linearCsv(): string {
  const lines = ['a,b,c,y'];
  for (let i = 0; i < 200; i++) {
    const a = ((i * 37) % 41) / 20 - 1, b = ((i * 17) % 23) / 11 - 1, c = ((i * 7) % 13) / 6 - 1;
    lines.push([a, b, c, 2 * a - b + 0.5 * c + 1].map((v) => v.toFixed(6)).join(','));
  }
  return lines.join('\n');
}

/** A model with no initializers at all. */
function weightlessModel(): Buffer {
  const g = new GraphBuilder('relu');
  const x = g.input('x', 'float32', ['batch', 64]);
  g.output(g.op('Relu', [x]), 'y', ['batch', 64]);
  return Buffer.from(encodeModel(g.build()));
}

async function runDemo(page: Page, backend: 'wasm' | 'webgpu', timeoutMs: number): Promise<Record<string, string>> {
  await page.selectOption('[data-testid=backend]', backend);
  await page.click('[data-testid=demo]');
  return waitForResult(page, ['done', 'error'], timeoutMs);
}

(browserTestsRun() ? describe : describe.skip)('the training page in headless Chromium', () => {
  let site: WebSite;
  let nodeLosses: number[];
  beforeAll(async () => {
    site = await startSite();
    nodeLosses = await nodeDemoLosses();
  }, 120000);
  afterAll(async () => site?.close());

  describe('on WASM', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium(false);
    });
    afterAll(async () => browser?.close());

    test("the digits demo reaches 95% held-out accuracy with Node CPU's losses, and the downloaded model predicts what the page did", async () => {
      const { page, pageErrors, foreign } = await openPage(browser, site);
      const result = await runDemo(page, 'wasm', 180000);
      expect(result.error).toBeUndefined();
      expect(result).toMatchObject({ state: 'done', backend: 'wasm' });
      expect(Number(result.accuracy)).toBeGreaterThanOrEqual(0.95);
      expect(Number(result.loss)).toBeLessThan(0.3);
      const run = await seen(page);
      expect(run.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(run.steps).toHaveLength(6 * Math.ceil(1438 / 16));
      expectSameLosses(run.losses, nodeLosses, 1e-4);

      const shot = join(mkdtempSync(join(tmpdir(), 'ortrain-shot-')), 'page.png');
      await page.screenshot({ path: shot });
      expect(statSync(shot).size).toBeGreaterThan(10000);
      if (process.env.ORTRAIN_WRITE_SCREENSHOT === '1') copyFileSync(shot, SCREENSHOT);

      // The exported model in stock onnxruntime-node, on the held-out rows the page evaluated.
      const bytes = await download(page, 'download');
      const predictions = run.predictions!;
      const table = parseCsv(DIGITS_CSV);
      const label = table.columns.indexOf('label');
      const width = table.columns.length;
      const rows = Uint32Array.from(predictions.rows);
      expect(rows.length).toBe(359);
      const features = Float32Array.from({ length: rows.length * 64 }, (_, i) => {
        const row = rows[Math.floor(i / 64)], c = i % 64;
        return table.values[row * width + (c < label ? c : c + 1)] / 16;
      });
      const labelOf = (row: number) => table.values[row * width + label];
      const session = await ortNode.InferenceSession.create(bytes);
      const out = await session.run({ [session.inputNames[0]]: new ortNode.Tensor('float32', features, [rows.length, 64]) });
      const values = out[session.outputNames[0]].data as Float32Array;
      await session.release();
      expect(values.length).toBe(predictions.outputs.length);
      const worst = predictions.outputs.reduce((w, x, i) => Math.max(w, Math.abs(values[i] - x)), 0);
      expect(worst).toBeLessThan(1e-4);
      // And so the same held-out accuracy as the page reported.
      let right = 0;
      rows.forEach((row, r) => {
        const v = values.subarray(r * 10, r * 10 + 10);
        if (v.indexOf(Math.max(...v)) === labelOf(row)) right++;
      });
      expect(right / rows.length).toBe(Number(result.accuracy));
      expect(pageErrors).toEqual([]);
      expect(foreign).toEqual([]); // offline: nothing but the site itself was asked for
      await page.close();
    }, 240000);

    test('a model and a CSV chosen through the file inputs train (mse); Stop, Resume and a checkpoint file continue the same run', async () => {
      const { page, pageErrors } = await openPage(browser, site);
      await choose(page, 'model-file', 'linear.onnx', linearModel());
      await choose(page, 'data-file', 'linear.csv', linearCsv(), 'text/csv');
      expect(await page.$$eval('[data-testid=label-column] option', (o) => o.map((e) => (e as HTMLOptionElement).value))).toEqual(['a', 'b', 'c', 'y']);
      await page.selectOption('[data-testid=label-column]', 'y');
      await page.selectOption('[data-testid=loss]', 'mse');
      await page.selectOption('[data-testid=optimizer]', 'Adam');
      await page.fill('[data-testid=option-lr]', '0.05');
      // Enough steps (4000) that Stop lands part way.
      await page.fill('[data-testid=epochs]', '400');
      await page.fill('[data-testid=batch-size]', '16');
      await page.selectOption('[data-testid=backend]', 'wasm');
      await page.click('[data-testid=train]');

      // Stop part way: the run waits at a step boundary.
      await page.waitForFunction(() => (window as unknown as { __ortrainWeb: { steps: number[] } }).__ortrainWeb.steps.length >= 40, undefined, { timeout: 60000 });
      await page.click('[data-testid=stop]');
      expect((await waitForResult(page, ['stopped', 'done', 'error'], 60000)).state).toBe('stopped');
      const stoppedAt = (await seen(page)).steps.length;
      expect(stoppedAt).toBeLessThan(4000);
      const checkpoint = await download(page, 'save-checkpoint');
      expect(checkpoint.length).toBeGreaterThan(0);

      await page.click('[data-testid=resume]');
      const resumed = await waitForResult(page, ['done', 'error'], 120000);
      expect(resumed).toMatchObject({ state: 'done', backend: 'wasm' });
      expect(resumed.accuracy).toBeUndefined(); // regression: no accuracy
      const first = await seen(page);
      expect(first.steps).toHaveLength(400 * 10); // 160 training rows in batches of 16
      expect(first.steps).toEqual(first.steps.map((_, i) => i + 1));
      expect(Number(resumed.loss)).toBeLessThan(first.losses[0] / 100);
      expect(first.epochs[first.epochs.length - 1].evalLoss).toBeLessThan(1e-2);

      // The checkpoint, loaded into a new run, continues from where Stop left off to the same end.
      await choose(page, 'checkpoint-file', 'run.ckpt', checkpoint);
      expect((await waitForResult(page, ['stopped', 'error'], 120000)).state).toBe('stopped');
      expect(await page.textContent('[data-testid=status]')).toContain(`after step ${stoppedAt} `);
      await page.click('[data-testid=resume]');
      const reloaded = await waitForResult(page, ['done', 'error'], 120000);
      expect(reloaded.state).toBe('done');
      const second = await seen(page);
      expect(second.steps[0]).toBe(stoppedAt + 1);
      expect(second.losses).toEqual(first.losses.slice(stoppedAt));
      expect(Number(reloaded.loss)).toBe(Number(resumed.loss));
      expect(pageErrors).toEqual([]);
      await page.close();
    }, 300000);

    test("a damper chosen on the form sets fit's batches: PadaDamp's run on the page is the Node run of the same settings", async () => {
      const { page, pageErrors } = await openPage(browser, site);
      await choose(page, 'model-file', 'digits-mlp.onnx', DIGITS_MODEL);
      await choose(page, 'data-file', 'digits.csv', DIGITS_CSV, 'text/csv');
      await page.fill('[data-testid=feature-scale]', '0.0625');
      await page.selectOption('[data-testid=optimizer]', 'SGD');
      await page.fill('[data-testid=option-lr]', '0.05');
      await page.fill('[data-testid=epochs]', '2');
      await page.selectOption('[data-testid=damper]', 'PadaDamp');
      expect(await page.isDisabled('[data-testid=batch-size]')).toBe(true);
      await page.fill('[data-testid=damper-option-growthRate]', '0.2');
      await page.selectOption('[data-testid=backend]', 'wasm');
      await page.click('[data-testid=train]');
      const result = await waitForResult(page, ['done', 'error'], 180000);
      expect(result.error).toBeUndefined();
      expect(result.state).toBe('done');
      const run = await seen(page);
      const node = await nodeDemoLosses({
        ...DEMO_CONFIG, backend: 'wasm', epochs: 2, optimizer: 'SGD', optimizerOptions: { lr: 0.05, momentum: 0.9, weightDecay: 0 },
        damper: 'PadaDamp', damperOptions: { initialBatchSize: 8, maxBatchSize: 256, growthRate: 0.2, dwell: 1, wait: 0 },
      }, Infinity);
      // B_k = ceil(8 + 0.2 k): two epochs (2876 examples) in far fewer updates than batches of 8 (360).
      expect(run.steps).toEqual(node.map((_, i) => i + 1));
      expect(run.steps.length).toBeLessThan(200);
      expect(run.epochs.map((e) => e.epoch)).toEqual([1, 2]);
      const worst = node.reduce((w, x, i) => Math.max(w, Math.abs(run.losses[i] - x) / Math.max(1, Math.abs(x))), 0);
      expect(worst).toBeLessThan(1e-4);
      expect(Number(result.accuracy)).toBeGreaterThan(0.85);
      expect(pageErrors).toEqual([]);
      await page.close();
    }, 300000);

    test('each mistake a user can make shows a message naming it, and the page trains again without a reload', async () => {
      const { page, pageErrors } = await openPage(browser, site);
      const failure = async (): Promise<string> => {
        await page.click('[data-testid=train]');
        const r = await waitForResult(page, ['error', 'done'], 60000);
        expect(r.state).toBe('error');
        expect(await page.textContent('[data-testid=result]')).toBe(r.error);
        return r.error;
      };
      await page.selectOption('[data-testid=backend]', 'wasm');
      expect(await failure()).toMatch(/choose a model file \(\.onnx\) and a CSV file first/);

      await choose(page, 'model-file', 'notes.onnx', 'these are my notes, not a model');
      await choose(page, 'data-file', 'digits.csv', DIGITS_CSV, 'text/csv');
      expect(await failure()).toMatch(/^notes\.onnx is not an ONNX model/);

      await choose(page, 'model-file', 'digits-mlp.onnx', DIGITS_MODEL);
      await choose(page, 'data-file', 'three.csv', 'a,b,label\n1,2,0\n3,4,1\n', 'text/csv');
      expect(await failure()).toMatch(/three\.csv has 2 feature columns .*takes 64 values per row/);
      // The worker reads the File through readCsv (papaparse, in chunks): a bad cell is named by line and column.
      await choose(page, 'data-file', 'cells.csv', 'a,b,label\n1,2,0\n3,x,1\n', 'text/csv');
      expect(await failure()).toMatch(/^cells\.csv: line 3, column 'b': 'x' is not a finite number/);

      await choose(page, 'model-file', 'relu.onnx', weightlessModel());
      await choose(page, 'data-file', 'digits.csv', DIGITS_CSV, 'text/csv');
      expect(await failure()).toMatch(/relu\.onnx has no trainable float weights/);

      await choose(page, 'model-file', 'digits-mlp.onnx', DIGITS_MODEL);
      await page.fill('[data-testid=trainable]', '^nothing\\.');
      expect(await failure()).toMatch(/matches none of the float initializers of digits-mlp\.onnx/);
      await page.fill('[data-testid=trainable]', '');

      // This Chromium runs without a GPU, so WebGPU cannot start.
      await page.selectOption('[data-testid=backend]', 'webgpu');
      expect(await failure()).toMatch(/backend webgpu failed to start/);

      const again = await runDemo(page, 'wasm', 180000);
      expect(again.error).toBeUndefined();
      expect(again).toMatchObject({ state: 'done', backend: 'wasm' });
      expect(pageErrors).toEqual([]);
      await page.close();
    }, 300000);
  });

  describe('on WebGPU (SwiftShader)', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium(true);
    });
    afterAll(async () => browser?.close());

    test("the digits demo reaches 95% held-out accuracy on webgpu with Node CPU's losses", async () => {
      const { page, pageErrors } = await openPage(browser, site);
      await page.waitForFunction(() => document.querySelector('#backend-hint')?.textContent !== '');
      expect(await page.textContent('#backend-hint')).toContain('WebGPU adapter found');
      const result = await runDemo(page, 'webgpu', 540000);
      expect(result.error).toBeUndefined();
      expect(result).toMatchObject({ state: 'done', backend: 'webgpu' });
      expect(Number(result.accuracy)).toBeGreaterThanOrEqual(0.95);
      expectSameLosses((await seen(page)).losses, nodeLosses, 1e-4);
      expect(pageErrors).toEqual([]);
      await page.close();
    }, 600000);
  });
});
