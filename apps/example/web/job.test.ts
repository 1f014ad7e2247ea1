import { encodeModel, GraphBuilder } from '@ortrain/graph-builder';
import * as ortNode from 'onnxruntime-node';
import { readFileSync } from 'fs';
import { join } from 'path';
import { DEMO_CONFIG } from './demo';
import { prepareJob } from './job';
import type { TrainConfig } from './protocol';

const APP = join(__dirname, '..');
const DIGITS = new Uint8Array(readFileSync(join(APP, 'models', 'digits-mlp.onnx')));
const CSV = readFileSync(join(APP, 'data', 'digits.csv'), 'utf8');
const cpu = { ort: ortNode, executionProviders: ['cpu' as const] };

/** The page hands the worker the CSV as a File (a Blob), which @ortrain/trainer's readCsv reads. */
function attempt(config: Partial<TrainConfig>, model: Uint8Array = DIGITS, csv = CSV, modelName = 'm.onnx') {
  return prepareJob({ ...DEMO_CONFIG, backend: 'wasm', ...config }, { model: Uint8Array.from(model).buffer, modelName, csv: new Blob([csv]), csvName: 'd.csv' }, cpu);
}

function weightless(): Uint8Array {
  const g = new GraphBuilder('relu');
  g.output(g.op('Relu', [g.input('x', 'float32', ['batch', 64])]), 'y', ['batch', 64]);
  return encodeModel(g.build());
}

describe('prepareJob: what the page checks before it trains', () => {
  test('the demo builds a session on the chosen provider with every float initializer trainable', async () => {
    const job = await attempt({});
    await job.session.release();
    expect(job.summary).toMatchObject({ backend: 'cpu', trainRows: 1438, evalRows: 359, evalSet: 'held-out', classification: true, stepsPerEpoch: 90 });
    expect(job.summary.parameters).toBe(64 * 128 + 128 + 128 * 10 + 10);
    // The rows: every CSV row once, split into training and evaluation rows, pixels scaled by 1/16.
    expect([job.data.length, job.train.length, job.evalData.length]).toEqual([1797, 1438, 359]);
    expect(Array.from(job.trainRows).concat(Array.from(job.evalRows)).sort((a, b) => a - b)).toEqual(Array.from({ length: 1797 }, (_, i) => i));
    const firstRow = CSV.split('\n')[1].split(',').map(Number);
    expect(Array.from(job.data.features.subarray(0, 64))).toEqual(firstRow.slice(0, 64).map((v) => Math.fround(v / 16)));
    expect(job.data.labels[0]).toBe(firstRow[64]);
    expect(job.output).toBe(job.session.models.outputNames[0]);
  });

  test('a RegExp narrows what trains', async () => {
    const job = await attempt({ trainable: '^fc2\\.|^2\\.|bias' });
    await job.session.release();
    expect(job.summary.trainableNames.length).toBeGreaterThan(0);
    expect(job.summary.trainableNames.length).toBeLessThan(4);
  });

  test.each([
    ['not ONNX', () => attempt({}, new TextEncoder().encode('hello'), CSV, 'notes.onnx'), /^notes\.onnx is not an ONNX model/],
    ['an empty file', () => attempt({}, new Uint8Array(0), CSV, 'empty.onnx'), /^empty\.onnx: the model file is empty/],
    ['no float weights', () => attempt({}, weightless(), CSV, 'relu.onnx'), /^relu\.onnx has no trainable float weights/],
    ['columns that do not fit', () => attempt({}, DIGITS, 'a,b,label\n1,2,0\n'), /d\.csv has 2 feature columns .*takes 64 values per row/],
    ['a missing label column', () => attempt({ labelColumn: 'digit' }), /d\.csv: no label column 'digit'/],
    ['a cell that is not a number', () => attempt({}, DIGITS, CSV.replace(/\n0,/, '\nzero,')), /^d\.csv: line 2, column 'p0': 'zero' is not a finite number/],
    ['a label that is no class', () => attempt({}, DIGITS, CSV.replace(/,0\n/, ',12\n')), /d\.csv: label 12 in data row \d+ \(line \d+\) is not a class index 0\.\.9 for output '\w+'/],
    ['a negative seed', () => attempt({ seed: -1 }), /^seed: expected a whole number from 0 to \d+, got -1/],
    ['a bad RegExp', () => attempt({ trainable: '(' }), /what to train: '\(' is not a valid RegExp/],
    ['a RegExp matching nothing', () => attempt({ trainable: '^nothing' }), /matches none of the float initializers of m\.onnx/],
    ['a damper option it refuses', () => attempt({ damper: 'PadaDamp', damperOptions: { initialBatchSize: 8, growthRate: -1 } }), /^damper PadaDamp: .*growthRate/],
    ['an unknown damper', () => attempt({ damper: 'Nope' }), /damper: unknown damper 'Nope' \(known: none, PadaDamp, /],
    ['zero epochs', () => attempt({ epochs: 0 }), /epochs: expected a whole number >= 1, got 0/],
    ['a held-out share of 1', () => attempt({ valSplit: 1 }), /held-out share: expected a number in \[0, 1\), got 1/],
    ['a non-numeric option', () => attempt({ optimizerOptions: { lr: NaN } }), /Adam option lr: expected a number, got NaN/],
    // No CUDA on the machines that run these tests: the provider is known to onnxruntime-node but cannot start.
    ['a provider that does not start', () => prepareJob({ ...DEMO_CONFIG, backend: 'wasm' }, { model: Uint8Array.from(DIGITS).buffer, modelName: 'm.onnx', csv: new Blob([CSV]), csvName: 'd.csv' },
      { ort: ortNode, executionProviders: ['cuda'] }), /^backend cuda failed to start: /],
  ])('%s is an error naming it', async (_, run, message) => {
    await expect(run()).rejects.toThrow(message);
  });
});
