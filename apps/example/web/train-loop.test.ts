import * as ortNode from 'onnxruntime-node';
import { mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseCommand } from '../src/args';
import { finetune } from '../src/finetune';
import { DEMO_CONFIG } from './demo';
import { type Job, prepareJob } from './job';
import type { TrainConfig } from './protocol';
import { type EpochReport, predict, runFit, type RunEvents } from './train-loop';

const APP = join(__dirname, '..');
const MODEL = join(APP, 'models', 'digits-mlp.onnx');
const CSV = join(APP, 'data', 'digits.csv');
const config: TrainConfig = { ...DEMO_CONFIG, epochs: 2, batchSize: 64, backend: 'wasm' };

function job(c: TrainConfig = config): Promise<Job> {
  return prepareJob(c, { model: new Uint8Array(readFileSync(MODEL)).buffer, modelName: 'digits-mlp.onnx', csv: new Blob([readFileSync(CSV)]), csvName: 'digits.csv' },
    { ort: ortNode, executionProviders: ['cpu'] });
}

/** Events that keep the losses and epochs, and abort `stop` after update `stopAt`. */
function recorder(stopAt?: number): RunEvents & { losses: number[]; steps: number[]; epochs: EpochReport[]; stop: AbortController } {
  const stop = new AbortController();
  const r = {
    losses: [] as number[], steps: [] as number[], epochs: [] as EpochReport[], stop,
    step: (step: number, loss: number) => {
      r.steps.push(step);
      r.losses.push(loss);
      if (step === stopAt) stop.abort();
    },
    epoch: (e: EpochReport) => { r.epochs.push(e); },
  };
  return r;
}

describe("the page's training loop (fit), in Node", () => {
  let straight: { losses: number[]; epochs: EpochReport[]; predictions: Float32Array };
  beforeAll(async () => {
    const j = await job();
    const events = recorder();
    const end = await runFit(j, events, { signal: events.stop.signal });
    expect(end.finished).toBe(true);
    expect(end.epochs).toEqual(events.epochs);
    straight = { losses: events.losses, epochs: events.epochs, predictions: await predict(j) };
    await j.session.release();
  });

  test('a straight run: every step, an evaluation per epoch with accuracy, and predictions for every evaluation row', () => {
    expect(straight.losses).toHaveLength(2 * Math.ceil(1438 / 64));
    expect(straight.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(straight.epochs[1].evalAccuracy).toBeGreaterThan(0.8);
    expect(straight.epochs[1].trainLoss).toBeLessThan(straight.epochs[0].trainLoss);
    expect(straight.predictions).toHaveLength(359 * 10);
    // The predictions are what the last evaluation scored: their argmax gives its accuracy.
    return job().then(async (j) => {
      await j.session.release();
      let right = 0;
      j.evalRows.forEach((row, i) => {
        const v = straight.predictions.subarray(i * 10, i * 10 + 10);
        if (v.indexOf(Math.max(...v)) === j.data.labels[row]) right++;
      });
      expect(right / 359).toBeCloseTo(straight.epochs[1].evalAccuracy, 12);
    });
  });

  test('Stop part way, then Resume from the checkpoint fit wrote, gives the losses and epochs of the straight run; so does that checkpoint in a new job', async () => {
    const split = await job();
    const first = recorder(10);
    const stopped = await runFit(split, first, { signal: first.stop.signal });
    expect(stopped.finished).toBe(false);
    expect([stopped.steps, stopped.epochs.length]).toEqual([10, 0]);
    expect(first.steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const rest = recorder();
    const end = await runFit(split, rest, { signal: rest.stop.signal, from: stopped.checkpoint });
    await split.session.release();
    expect(end.finished).toBe(true);
    expect(rest.steps[0]).toBe(11);
    expect([...first.losses, ...rest.losses]).toEqual(straight.losses);
    expect(rest.epochs).toEqual(straight.epochs);

    // The stop's checkpoint (a saved file) in a new job: restored without training, then resumed.
    const loaded = await job();
    const none = recorder();
    none.stop.abort();
    const restored = await runFit(loaded, none, { signal: none.stop.signal, from: stopped.checkpoint });
    expect([restored.finished, restored.steps, none.steps.length]).toEqual([false, 10, 0]);
    const again = recorder();
    await runFit(loaded, again, { signal: again.stop.signal, from: restored.checkpoint });
    expect(again.losses).toEqual(straight.losses.slice(10));
    // The checkpoint at the end: a finished run, whose resumption trains nothing and reports every epoch.
    const done = await runFit(loaded, recorder(), { signal: new AbortController().signal, from: end.checkpoint });
    expect([done.finished, done.steps]).toEqual([true, straight.losses.length]);
    expect(done.epochs).toEqual(straight.epochs);
    await loaded.session.release();
  });

  test("a checkpoint of another run's batch size or seed is refused, naming what differs", async () => {
    const a = await job();
    const events = recorder(3);
    const { checkpoint } = await runFit(a, events, { signal: events.stop.signal });
    await a.session.release();
    for (const [change, message] of [[{ batchSize: 32 }, 'batchSize was 64 when it was written, this fit has 32'], [{ seed: 5 }, 'seed was 1 when it was written, this fit has 6']] as const) {
      const b = await job({ ...config, ...change });
      await expect(runFit(b, recorder(), { signal: new AbortController().signal, from: checkpoint })).rejects.toThrow(message);
      await b.session.release();
    }
  });

  test('with a damper (PadaDamp) the batches grow, and Stop and Resume continue its run exactly', async () => {
    const damped: TrainConfig = { ...config, epochs: 1, optimizer: 'SGD', optimizerOptions: { lr: 0.05, momentum: 0.9 },
      damper: 'PadaDamp', damperOptions: { initialBatchSize: 8, maxBatchSize: 128, growthRate: 0.5, dwell: 1, wait: 0 } };
    const a = await job(damped);
    expect(a.summary.stepsPerEpoch).toBeNull();
    const whole = recorder();
    const end = await runFit(a, whole, { signal: whole.stop.signal });
    await a.session.release();
    // B_k = ceil(8 + 0.5 k): 1438 examples take far fewer updates than batches of 8 would (180).
    expect(end.epochs).toHaveLength(1);
    expect(whole.losses.length).toBeGreaterThan(30);
    expect(whole.losses.length).toBeLessThan(80);
    expect(end.epochs[0].evalAccuracy).toBeGreaterThan(0.8);

    const b = await job(damped);
    const first = recorder(20);
    const stopped = await runFit(b, first, { signal: first.stop.signal });
    const rest = recorder();
    await runFit(b, rest, { signal: rest.stop.signal, from: stopped.checkpoint });
    await b.session.release();
    expect([...first.losses, ...rest.losses]).toEqual(whole.losses);
    expect(rest.epochs).toEqual(whole.epochs);
    // A damped run's checkpoint does not continue a run without one.
    const c = await job();
    await expect(runFit(c, recorder(), { signal: new AbortController().signal, from: stopped.checkpoint })).rejects.toThrow('written by a fit with a damper');
    await c.session.release();
  });

  test("the page's loop is the CLI's: `ortrain finetune` with the same settings has the same history", async () => {
    const c = { ...config, optimizer: 'SGD', optimizerOptions: { lr: 0.05 } };
    const page = await job(c);
    const events = recorder();
    await runFit(page, events, { signal: events.stop.signal });
    await page.session.release();
    const command = parseCommand(['finetune', MODEL, '--data', CSV, '--optimizer', 'sgd', '--lr', '0.05', '--epochs', '2', '--batch-size', '64',
      '--feature-scale', String(1 / 16), '--seed', '0', '--out', join(mkdtempSync(join(tmpdir(), 'ortrain-web-cli-')), 'out.onnx')]);
    if (command.kind !== 'finetune') throw new Error('expected a finetune command');
    const cli = await finetune({ ...command.options, progress: false }, () => undefined);
    expect(cli.history.updates.map((u) => u.loss)).toEqual(events.losses);
    expect(cli.epochs.map((e) => [e.trainLoss, e.valLoss, e.valAccuracy])).toEqual(events.epochs.map((e) => [e.trainLoss, e.evalLoss, e.evalAccuracy]));
  });
});
