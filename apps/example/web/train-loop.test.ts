import * as ortNode from 'onnxruntime-node';
import { readFileSync } from 'fs';
import { join } from 'path';
import { DEMO_CONFIG } from './demo';
import { type Job, prepareJob } from './job';
import { type EpochReport, epochOrder, runEpochs, START } from './train-loop';

const APP = join(__dirname, '..');
const config = { ...DEMO_CONFIG, epochs: 2, batchSize: 64, backend: 'wasm' as const };

function job(): Promise<Job> {
  const model = readFileSync(join(APP, 'models', 'digits-mlp.onnx'));
  return prepareJob(config, { model: new Uint8Array(model).buffer, modelName: 'digits-mlp.onnx', csv: readFileSync(join(APP, 'data', 'digits.csv'), 'utf8'), csvName: 'digits.csv' },
    { ort: ortNode, executionProviders: ['cpu'] });
}

describe("the page's training loop, in Node", () => {
  test('a run stopped part way and resumed from its position gives the losses and epochs of a run straight through', async () => {
    const straight = await job();
    const whole: number[] = [];
    const wholeEpochs: EpochReport[] = [];
    const end = await runEpochs(straight, START, { step: (_, l) => whole.push(l), epoch: (r) => wholeEpochs.push(r), stopRequested: () => false });
    await straight.session.release();
    expect(end.finished).toBe(true);
    expect(whole).toHaveLength(2 * Math.ceil(1438 / 64));
    expect(wholeEpochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(wholeEpochs[1].evalAccuracy).toBeGreaterThan(0.5);

    const split = await job();
    const parts: number[] = [];
    const partEpochs: EpochReport[] = [];
    const events = { step: (_: number, l: number) => parts.push(l), epoch: (r: EpochReport) => partEpochs.push(r) };
    const first = await runEpochs(split, START, { ...events, stopRequested: async () => parts.length >= 10 });
    expect(first.finished).toBe(false);
    expect([first.position.epoch, first.position.batch, first.position.seen]).toEqual([0, 10, 640]);
    expect(split.session.step).toBe(10);
    const rest = await runEpochs(split, first.position, { ...events, stopRequested: () => false });
    await split.session.release();
    expect(rest.finished).toBe(true);
    expect(parts).toEqual(whole);
    expect(partEpochs).toEqual(wholeEpochs);
  });

  test("each epoch's order is a seeded shuffle of the training rows, the same every time it is asked for", async () => {
    const j = await job();
    await j.session.release();
    const e0 = epochOrder(j, 0), e1 = epochOrder(j, 1);
    expect(Array.from(e0).sort((a, b) => a - b)).toEqual(Array.from(j.train).sort((a, b) => a - b));
    expect(Array.from(e0)).not.toEqual(Array.from(e1));
    expect(Array.from(epochOrder(j, 1))).toEqual(Array.from(e1));
  });
});
