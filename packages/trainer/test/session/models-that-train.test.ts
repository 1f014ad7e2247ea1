// The models exporters produce, trained: weights as Constants, an If on a shape, an If on data, a Loop, a
// Scan, a Softmax head, a custom loss graph. Each: gradients (a session without an optimizer) against
// central differences of the forward model run by plain onnxruntime, then a few Adam steps with a finite,
// falling loss, then the export.
import { promises as fs, readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { GraphBuilder, decodeModel, encodeModel, fromOnnxDataType, tensorToArray } from '@ortrain/graph-builder';
import type { ModelProto, TensorProto } from '@ortrain/graph-builder';
import { Adam, SGD } from '@ortrain/optimizers';
import { TrainingSession } from '../../src/session';
import { generateArtifacts } from '../../src/artifacts';
import type { Batch, TrainingSessionOptions } from '../../src/session';
import { createRandom } from '../../src/random';
import { relL2 } from '../autodiff/helpers';
import {
  B, HID, IN, OUT, constantsMlp, customLoss, ifOnData, ifOnShape, loopModel, onlyConstants, scanModel, softmaxHead, unknownRankOutput, functionLoss,
} from '../models/exporter-patterns';
import { tinyModel } from './tiny-model';

type HostLoss = (prediction: Float32Array, labels: Tensor) => number;

const mseHost: HostLoss = (p, labels) => {
  const y = labels.data as Float32Array;
  let s = 0;
  for (let i = 0; i < p.length; i++) s += (p[i] - y[i]) ** 2;
  return s / p.length;
};

/** torch's cross_entropy (mean) of logits [n, C] and class indices [n]. */
const crossEntropyHost = (classes: number): HostLoss => (p, labels) => {
  const y = labels.data as BigInt64Array;
  let s = 0;
  for (let r = 0; r < y.length; r++) {
    const row = Array.from(p.subarray(r * classes, (r + 1) * classes));
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    s += lse - row[Number(y[r])];
  }
  return s / y.length;
};

function regressionBatch(seed: number, xDims = [B, IN], sign?: 1 | -1): Batch {
  const r = createRandom(seed);
  const n = xDims.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: n }, () => 2 * r() - 1);
  if (sign) for (let i = 0; i < n; i++) x[i] = sign * (Math.abs(x[i]) + 0.05);
  const y = Float32Array.from({ length: B * OUT }, () => 2 * r() - 1);
  return { inputs: { x: new Tensor('float32', x, xDims) }, labels: new Tensor('float32', y, [B, OUT]) };
}

/** The forward model with the named tensors (initializers or Constant nodes) as graph inputs and `target` as its output. */
function withTensorsAsInputs(bytes: Uint8Array, names: string[], target: string): ModelProto {
  const m = decodeModel(bytes);
  const g = m.graph!;
  const found = new Map<string, TensorProto>();
  for (const t of g.initializer ?? []) if (names.includes(t.name!)) found.set(t.name!, t);
  const nodes = (g.node ?? []).filter((n) => {
    const t = n.opType === 'Constant' && names.includes(n.output![0]) ? n.attribute!.find((a) => a.name === 'value')!.t! : undefined;
    if (t) found.set(n.output![0], t);
    return !t;
  });
  const input = [...(g.input ?? []), ...names.map((name) => ({
    name, type: { tensorType: { elemType: found.get(name)!.dataType, shape: { dim: (found.get(name)!.dims ?? []).map((d) => ({ dimValue: Number(d) })) } } },
  }))];
  return {
    ...m,
    graph: { ...g, node: nodes, input, initializer: (g.initializer ?? []).filter((t) => !names.includes(t.name!)), output: [{ name: target, type: { tensorType: { elemType: 1 } } }] },
  };
}

/**
 * The session's gradients against central differences (float32, step 1e-2) of the loss of the forward model
 * run by plain onnxruntime, at up to 8 entries of every parameter.
 */
async function checkGradients(bytes: Uint8Array, options: Omit<TrainingSessionOptions, 'model' | 'optimizer'>, batch: Batch, host: HostLoss,
  target: string): Promise<{ names: string[]; errors: Record<string, number> }> {
  const session = await TrainingSession.create({ ...options, model: bytes });
  const { loss, gradients } = await session.lossAndGradients(batch);
  const values = await session.parameters();
  const names = [...session.parameterNames];
  await session.release();
  const forward = await InferenceSession.create(encodeModel(withTensorsAsInputs(bytes, names, target)));
  const dims = new Map(names.map((n) => [n, [...gradients.keys()].includes(n) ? shapeOf(bytes, n) : []]));
  const lossAt = async (vals: Map<string, Float32Array>) => {
    const feeds: Record<string, Tensor> = { ...batch.inputs };
    for (const [n, v] of vals) feeds[n] = new Tensor('float32', v, dims.get(n)!);
    const out = await forward.run(feeds);
    return host(out[target].data as Float32Array, batch.labels);
  };
  expect(await lossAt(values)).toBeCloseTo(loss, 5);
  const r = createRandom(3);
  const errors: Record<string, number> = {};
  for (const name of names) {
    const base = values.get(name)!;
    const picks = base.length <= 8 ? [...base.keys()] : Array.from({ length: 8 }, () => Math.floor(r() * base.length));
    const numeric: number[] = [];
    const ours: number[] = [];
    for (const k of picks) {
      const at = async (d: number) => { const v = Float32Array.from(base); v[k] += d; return lossAt(new Map([...values, [name, v]])); };
      numeric.push(((await at(1e-2)) - (await at(-1e-2))) / 2e-2);
      ours.push(gradients.get(name)![k]);
    }
    errors[name] = relL2(ours, numeric);
  }
  await forward.release();
  return { names, errors };
}

function shapeOf(bytes: Uint8Array, name: string): number[] {
  const g = decodeModel(bytes).graph!;
  const t = (g.initializer ?? []).find((x) => x.name === name) ?? (g.node ?? []).find((n) => n.output?.[0] === name)?.attribute?.find((a) => a.name === 'value')?.t;
  return (t!.dims ?? []).map(Number);
}

function expectSmall(errors: Record<string, number>): void {
  for (const [name, e] of Object.entries(errors)) {
    if (!(e < 2e-2)) throw new Error(`gradient of '${name}' is off its finite differences by ${e} (relative L2)`);
  }
}

/** A few Adam steps: every loss finite, the last below the first by `factor`. */
async function trains(bytes: Uint8Array, options: Omit<TrainingSessionOptions, 'model' | 'optimizer'>, batches: Batch[], steps = 30, factor = 0.7): Promise<TrainingSession> {
  const session = await TrainingSession.create({ ...options, model: bytes, optimizer: (p) => new Adam(p, { lr: 0.05 }) });
  const evalLoss = async () => { let s = 0; for (const b of batches) s += (await session.evalStep(b)).loss; return s / batches.length; };
  const first = await evalLoss();
  for (let i = 0; i < steps; i++) {
    const r = await session.trainStep(batches[i % batches.length]);
    expect(Number.isFinite(r.loss)).toBe(true);
  }
  const last = await evalLoss();
  expect(Number.isFinite(last)).toBe(true);
  expect(last).toBeLessThan(first * factor);
  return session;
}

const opsOf = (m: ModelProto) => (m.graph!.node ?? []).map((n) => n.opType);

describe('weights stored as Constant nodes', () => {
  test('the weights train, the exporter constants (scale, Clip bounds, Pow exponent) stay frozen; describeTrainable says why', async () => {
    const bytes = constantsMlp();
    const { names, errors } = await checkGradients(bytes, { loss: 'mse' }, regressionBatch(1), mseHost, 'y');
    expect(names).toEqual(['W1', 'b1', 'W2', 'b2']);
    expectSmall(errors);
    const session = await trains(bytes, { loss: 'mse' }, [regressionBatch(1), regressionBatch(2)]);
    const described = new Map(session.describeTrainable().map((c) => [c.name, c]));
    expect(described.get('W1')).toMatchObject({ source: 'Constant', trainable: true, reason: expect.stringMatching(/weight of MatMul/) });
    expect(described.get('b2')).toMatchObject({ trainable: true, reason: expect.stringMatching(/bias added to the output of MatMul/) });
    for (const c of ['scale', 'clip_min', 'clip_max', 'exponent']) expect(described.get(c)).toMatchObject({ source: 'Constant', trainable: false, reason: expect.stringMatching(/scalar/) });
    expect(described.get('exponent')!.reason).toMatch(/input 1 of Pow/);
    // The export writes the trained values back into the Constant nodes: still no initializers.
    const exported = decodeModel(await session.exportModel());
    expect(exported.graph!.initializer ?? []).toHaveLength(0);
    expect(opsOf(exported).filter((o) => o === 'Constant')).toHaveLength(8);
    const batch = regressionBatch(1);
    const ours = (await session.evalStep(batch)).outputs.y.data as Float32Array;
    const plain = await InferenceSession.create(encodeModel(exported));
    const theirs = (await plain.run({ x: batch.inputs.x })).y.data as Float32Array;
    expect(relL2(theirs, ours)).toBeLessThan(1e-6);
    const trained = (await session.parameters()).get('W1')!;
    const w1 = exported.graph!.node!.find((n) => n.output?.[0] === 'W1')!.attribute![0].t!;
    expect(fromOnnxDataType(w1.dataType!)).toBe('float32');
    expect(Array.from(tensorToArray(w1) as Float32Array)).toEqual(Array.from(trained));
    await plain.release();
    await session.release();
  });

  test('a checkpoint of trained Constants restores them', async () => {
    const make = () => TrainingSession.create({ model: constantsMlp(), loss: 'mse', optimizer: (p) => new Adam(p, { lr: 0.05 }) });
    const a = await make();
    for (let i = 0; i < 3; i++) await a.trainStep(regressionBatch(i));
    const b = await make();
    await b.loadCheckpoint(await a.checkpointBytes());
    expect(await b.parameters()).toEqual(await a.parameters());
    expect((await b.trainStep(regressionBatch(5))).loss).toBeCloseTo((await a.trainStep(regressionBatch(5))).loss, 6);
    await a.release();
    await b.release();
  });

  test('a Constant named in trainable trains even when it is a scalar', async () => {
    const session = await TrainingSession.create({ model: constantsMlp(), loss: 'mse', trainable: ['W1', 'scale'] });
    expect(session.parameterNames).toEqual(['W1', 'scale']);
    const { gradients } = await session.lossAndGradients(regressionBatch(1));
    expect(gradients.get('scale')!.length).toBe(1);
    await session.release();
  });

  test('a model with nothing trainable: the error lists what was found and why', async () => {
    await expect(TrainingSession.create({ model: onlyConstants(), loss: 'mse' })).rejects.toThrow(
      /no tensor of the model is trainable \(found 1 initializers and 1 float Constants\)[^]*initializer 'two' \[\]: a scalar \(read as input 1 of Pow[^]*Constant 'eps' \[\]: a scalar/);
  });
});

describe('control flow', () => {
  test('an If on a static shape folds to its branch: no If in the training graph, the other branch\'s weight is not trained', async () => {
    const bytes = ifOnShape();
    const { names, errors } = await checkGradients(bytes, { loss: 'mse' }, regressionBatch(2), mseHost, 'y');
    expect(names).toEqual(['W1', 'W2']);
    expectSmall(errors);
    const session = await trains(bytes, { loss: 'mse' }, [regressionBatch(2), regressionBatch(3)]);
    expect(opsOf(session.models.training)).not.toContain('If');
    expect(session.describeTrainable().find((c) => c.name === 'W3')).toMatchObject({ trainable: false, reason: /does not depend/ });
    // evalStep's outputs are typed from the branch (float, [B, OUT]), not bool.
    expect((await session.evalStep(regressionBatch(2))).outputs.y.dims).toEqual([B, OUT]);
    await session.release();
  });

  test('an If on data: gradients through both branches match finite differences, and it trains', async () => {
    const bytes = ifOnData();
    const pos = regressionBatch(4, [B, IN], 1);
    const neg = regressionBatch(5, [B, IN], -1);
    for (const batch of [pos, neg]) {
      const { names, errors } = await checkGradients(bytes, { loss: 'mse' }, batch, mseHost, 'y');
      expect(names).toEqual(['W1', 'b1', 'W2', 'W3']);
      expectSmall(errors);
    }
    // W3 is only read by the else branch: a positive batch gives it a zero gradient, not an error.
    const g = await TrainingSession.create({ model: bytes, loss: 'mse' });
    expect(Array.from((await g.lossAndGradients(pos)).gradients.get('W3')!).every((v) => v === 0)).toBe(true);
    expect(Array.from((await g.lossAndGradients(neg)).gradients.get('W2')!).every((v) => v === 0)).toBe(true);
    await g.release();
    const session = await trains(bytes, { loss: 'mse' }, [pos, neg]);
    expect(opsOf(session.models.training).filter((o) => o === 'If').length).toBe(2);
    expect((await session.evalStep(neg)).outputs.y.type).toBe('float32');
    await session.release();
  });

  test('a Loop with a constant trip count is unrolled and trains', async () => {
    const bytes = loopModel();
    const batch = regressionBatch(6, [B, HID]);
    const { names, errors } = await checkGradients(bytes, { loss: 'mse' }, batch, mseHost, 'y');
    expect(names).toEqual(['W', 'b', 'Wo']);
    expectSmall(errors);
    const session = await trains(bytes, { loss: 'mse' }, [batch, regressionBatch(7, [B, HID])]);
    expect(opsOf(session.models.training)).not.toContain('Loop');
    await session.release();
  });

  test('a Loop whose trip count is a model input: the error names the node, the op and why', async () => {
    await expect(TrainingSession.create({ model: loopModel('input'), loss: 'mse' })).rejects.toThrow(
      "Loop node 'the_loop': cannot differentiate through this Loop: its trip count 'steps' is not known when the graph is built");
  });

  test('a Scan over a sequence of static length is unrolled and trains', async () => {
    const bytes = scanModel();
    const batch = regressionBatch(8, [3, B, IN]);
    const { names, errors } = await checkGradients(bytes, { loss: 'mse' }, batch, mseHost, 'y');
    expect(names).toEqual(['Wx', 'Wh', 'Wo']);
    expectSmall(errors);
    const session = await trains(bytes, { loss: 'mse' }, [batch, regressionBatch(9, [3, B, IN])]);
    expect(opsOf(session.models.training)).not.toContain('Scan');
    await session.release();
  });
});

describe('the loss on any value', () => {
  const classBatch = (seed: number): Batch => {
    const r = createRandom(seed);
    const x = Float32Array.from({ length: B * IN }, () => 2 * r() - 1);
    return { inputs: { x: new Tensor('float32', x, [B, IN]) }, labels: new Tensor('int64', BigInt64Array.from({ length: B }, () => BigInt(Math.floor(r() * (OUT + 1)))), [B]) };
  };

  test('a Softmax head trains on the logits before it; cross_entropy on the Softmax output warns and names them', async () => {
    const bytes = softmaxHead();
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const { names, errors } = await checkGradients(bytes, { loss: 'cross_entropy', output: 'logits' }, classBatch(1), crossEntropyHost(OUT + 1), 'logits');
      expect(names).toEqual(['W', 'b']);
      expectSmall(errors);
      expect(warn).not.toHaveBeenCalled();
      const session = await trains(bytes, { loss: 'cross_entropy', output: 'logits' }, [classBatch(1), classBatch(2)], 30, 0.8);
      // evalStep still gives the model's own outputs (the probabilities).
      const probs = (await session.evalStep(classBatch(1))).outputs.probs.data as Float32Array;
      expect(probs[0] + probs[1] + probs[2]).toBeCloseTo(1, 5);
      await session.release();
      const onProbs = await TrainingSession.create({ model: bytes, loss: 'cross_entropy' });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toMatch(/'probs' is the output of Softmax .* output: 'logits'/);
      await onProbs.release();
    } finally {
      warn.mockRestore();
    }
  });

  test('a loss given as an ONNX function (a model-local function the loss graph calls) is inlined and trains', async () => {
    const host: HostLoss = (p, labels) => 3 * mseHost(p, labels);
    const { errors } = await checkGradients(constantsMlp(), { loss: { graph: functionLoss() } }, regressionBatch(1), host, 'y');
    expectSmall(errors);
    const session = await trains(constantsMlp(), { loss: { graph: functionLoss() } }, [regressionBatch(1), regressionBatch(2)]);
    expect(opsOf(session.models.training)).not.toContain('ScaledSquare');
    await session.release();
  });

  test('output naming no value of the model is an error listing its outputs', async () => {
    await expect(TrainingSession.create({ model: softmaxHead(), loss: 'mse', output: 'nope' })).rejects.toThrow("output: 'nope' is not a value of the model; its outputs are 'probs'");
  });

  test('a loss given as an ONNX model: its value is the host formula, its gradients match finite differences, it trains', async () => {
    const host: HostLoss = (p, labels) => {
      const y = labels.data as Float32Array;
      let s = 0;
      for (let i = 0; i < p.length; i++) s += 3 * (p[i] - y[i]) ** 2 + Math.abs(p[i] - y[i]);
      return s / p.length;
    };
    const bytes = constantsMlp();
    const { errors } = await checkGradients(bytes, { loss: { graph: customLoss() } }, regressionBatch(1), host, 'y');
    expectSmall(errors);
    const session = await trains(bytes, { loss: { graph: customLoss() } }, [regressionBatch(1), regressionBatch(2)]);
    expect(session.models.loss.kind).toBe('graph');
    await session.release();
    // Artifacts keep the loss graph (as base64 in the checkpoint's JSON): fromArtifacts computes the same loss.
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ortrain-graph-loss-'));
    try {
      await generateArtifacts(bytes, { loss: { graph: customLoss() }, optimizer: { name: 'SGD', lr: 0.1 } }, dir);
      const fromDisk = await TrainingSession.fromArtifacts(dir);
      expect(fromDisk.models.loss.kind).toBe('graph');
      expect((await fromDisk.evalStep(regressionBatch(1))).loss).toBeCloseTo(host((await fromDisk.evalStep(regressionBatch(1))).outputs.y.data as Float32Array, regressionBatch(1).labels), 5);
      await fromDisk.release();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
    const bad = customLoss().slice(0, 0);
    await expect(TrainingSession.create({ model: bytes, loss: { graph: bad } })).rejects.toThrow(/loss graph/);
  });
});

describe('a prediction of unknown rank', () => {
  const batch = (labelDims: number[]): Batch => {
    const r = createRandom(4);
    return {
      inputs: { x: new Tensor('float32', Float32Array.from({ length: B * IN }, () => 2 * r() - 1), [B, IN]), shape: new Tensor('int64', BigInt64Array.from([BigInt(B), BigInt(OUT)]), [2]) },
      labels: new Tensor('float32', Float32Array.from({ length: labelDims.reduce((a, d) => a * d, 1) }, () => 2 * r() - 1), labelDims),
    };
  };

  test('labels are checked against the shape of each run, not taken as a scalar; a mismatch changes nothing', async () => {
    const { names, errors } = await checkGradients(unknownRankOutput(), { loss: 'mse' }, batch([B, OUT]), mseHost, 'y');
    expect(names).toEqual(['W', 'b']);
    expectSmall(errors);
    const session = await trains(unknownRankOutput(), { loss: 'mse' }, [batch([B, OUT])], 20);
    const before = await session.parameters();
    // [B, 1] would broadcast against [B, 2] without a word.
    for (const call of ['trainStep', 'evalStep', 'lossAndGradients'] as const) {
      await expect(session[call](batch([B, 1]))).rejects.toThrow(
        `${call}: labels of shape [4, 1] do not fit the prediction '${session.models.outputNames[0]}' of shape [4, 2] (known only at run time): they must be [4, 2]`);
    }
    expect(await session.parameters()).toEqual(before);
    await session.release();
  });
});

describe('a session without an optimizer', () => {
  test('computes gradients and evaluates; trainStep and optimizer say it has none', async () => {
    const session = await TrainingSession.create({ model: constantsMlp(), loss: 'mse' });
    const batch = regressionBatch(1);
    const { loss, gradients } = await session.lossAndGradients(batch);
    expect((await session.evalStep(batch)).loss).toBeCloseTo(loss, 6);
    expect([...gradients.keys()]).toEqual(['W1', 'b1', 'W2', 'b2']);
    await expect(session.trainStep(batch)).rejects.toThrow(/trainStep: this session was created without an optimizer: it computes lossAndGradients and evalStep only/);
    expect(() => session.optimizer).toThrow(/without an optimizer/);
    expect(session.step).toBe(0);
    await session.release();
  });
});


describe('parameters that turn non-finite', () => {
  // A loss of 1e20 (finite) whose gradient, times lr 1e30, overflows float32: the update gives Inf weights.
  const batch = (): Batch => ({
    inputs: { x: new Tensor('float32', Float32Array.from({ length: 12 }, (_, i) => 1 + (i % 3)), [4, 3]) },
    labels: new Tensor('float32', new Float32Array(8).fill(-1e10), [4, 2]),
  });
  const create = (nonFinite?: 'throw' | 'skip') => TrainingSession.create({
    model: tinyModel(), loss: 'mse', optimizer: (p) => new SGD(p, { lr: 1e30 }), ...(nonFinite ? { nonFinite } : {}),
  });

  test('with nonFinite set, an update that makes a parameter NaN or infinite is refused (throw or skip); nothing changes', async () => {
    const plain = await create();
    expect(Number.isFinite((await plain.trainStep(batch())).loss)).toBe(true);
    expect(Array.from((await plain.parameters()).get('W')!).some((v) => !Number.isFinite(v))).toBe(true);
    await plain.release();

    const throwing = await create('throw');
    const before = await throwing.parameters();
    await expect(throwing.trainStep(batch())).rejects.toThrow(/trainStep: the sum of the updated parameters is -?(Infinity|NaN) at step 1; nothing was updated/);
    expect(await throwing.parameters()).toEqual(before);
    expect(throwing.step).toBe(0);
    await throwing.release();

    const skipping = await create('skip');
    const r = await skipping.trainStep(batch());
    expect(r).toMatchObject({ updated: false, skipped: true });
    expect(skipping.skippedSteps).toBe(1);
    expect(await skipping.parameters()).toEqual(before);
    await skipping.release();
  });
});

describe('models exported by PyTorch (tools/oracles/trainer/make_exported_patterns.py), against autograd', () => {
  interface TorchCase { x: number[]; x_shape: number[]; labels: number[]; labels_shape: number[]; loss: number; grads: Record<string, number[]> }
  interface TorchModel { file: string; loss: 'mse' | 'cross_entropy'; logits?: string; cases: TorchCase[] }
  const oracle = JSON.parse(readFileSync(path.join(__dirname, '../models/torch_patterns.json'), 'utf8')) as Record<string, TorchModel>;
  const bytesOf = (m: TorchModel) => new Uint8Array(readFileSync(path.join(__dirname, '../models', m.file)));
  const batchOf = (m: TorchModel, c: TorchCase): Batch => ({
    inputs: { x: new Tensor('float32', Float32Array.from(c.x), c.x_shape) },
    labels: m.loss === 'cross_entropy'
      ? new Tensor('int64', BigInt64Array.from(c.labels.map(BigInt)), c.labels_shape)
      : new Tensor('float32', Float32Array.from(c.labels), c.labels_shape),
  });

  for (const [key, params] of [
    ['control_flow', ['a.weight', 'a.bias', 'b.weight', 'b.bias', 'c.weight', 'c.bias']],
    ['softmax_head', ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']],
    ['constants', ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']],
  ] as const) {
    test(`${key}: loss and gradients match PyTorch on every batch, and it trains`, async () => {
      const m = oracle[key];
      const options = { loss: m.loss, ...(m.logits ? { output: m.logits } : {}) } as const;
      const session = await TrainingSession.create({ model: bytesOf(m), ...options });
      expect([...session.parameterNames].sort()).toEqual([...params].sort());
      for (const c of m.cases) {
        const { loss, gradients } = await session.lossAndGradients(batchOf(m, c));
        expect(Math.abs(loss - c.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(c.loss)));
        for (const p of params) expect(relL2(gradients.get(p)!, c.grads[p])).toBeLessThan(1e-4);
      }
      await session.release();
      const trained = await trains(bytesOf(m), options, m.cases.map((c) => batchOf(m, c)), 30, 0.8);
      if (key === 'control_flow') expect(opsOf(trained.models.training).filter((o) => o === 'If' || o === 'Loop')).toEqual(['If', 'If']);
      await trained.release();
    });
  }
});

describe('trainable: { except }', () => {
  test('is the default set without the named tensors; artifacts\' frozenParams means the same', async () => {
    const session = await TrainingSession.create({ model: constantsMlp(), loss: 'mse', trainable: { except: ['b1'] } });
    expect(session.parameterNames).toEqual(['W1', 'W2', 'b2']);
    expect(session.describeTrainable().find((c) => c.name === 'b1')).toMatchObject({ trainable: false, reason: 'frozen: listed in trainable.except' });
    expect(session.describeTrainable().find((c) => c.name === 'exponent')).toMatchObject({ trainable: false });
    await session.release();
  });
});

describe('the default trainable set', () => {
  test('a one-element bias in a bias slot trains; a one-element tensor elsewhere is an exporter constant', async () => {
    const g = new GraphBuilder('one_output', { opset: 17 });
    const x = g.input('x', 'float32', [B, IN]);
    const W = g.initializer('W', 'float32', [IN, 1], Float32Array.from([0.1, 0.2, 0.3]));
    const b = g.initializer('b', 'float32', [1], Float32Array.from([0.5]));
    const scale = g.initializer('scale', 'float32', [1], Float32Array.from([0.5]));
    g.output(g.mul(g.op('Gemm', [x, W, b]), scale), 'y', [B, 1]);
    const session = await TrainingSession.create({ model: encodeModel(g.build()), loss: 'mse' });
    expect(session.parameterNames).toEqual(['W', 'b']);
    expect(session.describeTrainable().find((c) => c.name === 'scale')).toMatchObject({ trainable: false, reason: expect.stringMatching(/^a scalar \(read as input 1 of Mul/) });
    await session.release();
  });
});
