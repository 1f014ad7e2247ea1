import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Adam, SGD } from '@ortrain/optimizers';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/checkpoint';
import { TrainingSession } from '../../src/session';
import { maxDiff, mlpBatch, modelBytes } from './helpers';
import { tinyModel } from './tiny-model';

const adam = (p: ConstructorParameters<typeof Adam>[0]) => new Adam(p, { lr: 1e-2 });
const mlp = (extra: object = {}) => TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: adam, ...extra });

let dir: string;
beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ortrain-session-')); });
afterEach(async () => {
  jest.restoreAllMocks();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('checkpoints', () => {
  test('train 3, save, train 2 equals load and train 2 (parameters, optimizer state, counters, random state)', async () => {
    const file = path.join(dir, 'run.ckpt');
    const a = await mlp();
    for (let i = 0; i < 3; i++) await a.trainStep(mlpBatch(16, i));
    a.rngState = { seed: 42, draws: new Float64Array([0.25, 0.5]) };
    await a.saveCheckpoint(file);
    // Parameters and Adam's two moments as float32 tensors, plus a small header.
    expect((await fs.stat(file)).size).toBeLessThan(9610 * 4 * 3 + 16384);
    const after: number[] = [];
    for (let i = 3; i < 5; i++) after.push((await a.trainStep(mlpBatch(16, i))).loss);

    const b = await mlp();
    await b.loadCheckpoint(file);
    expect(b.step).toBe(3);
    expect(b.rngState).toEqual({ seed: 42, draws: new Float64Array([0.25, 0.5]) });
    const resumed: number[] = [];
    for (let i = 3; i < 5; i++) resumed.push((await b.trainStep(mlpBatch(16, i))).loss);
    expect(resumed).toEqual(after);
    expect(maxDiff(await a.parameters(), await b.parameters())).toBe(0);
    expect(b.optimizer.stateDict()).toEqual(a.optimizer.stateDict());
    expect(b.step).toBe(5);
    await a.release();
    await b.release();
  });

  test('a checkpoint in the middle of an accumulation cycle resumes it', async () => {
    const file = path.join(dir, 'acc.ckpt');
    const a = await mlp({ gradientAccumulationSteps: 3 });
    for (let i = 0; i < 4; i++) await a.trainStep(mlpBatch(8, i)); // one update and one batch pending
    expect(a.accumulation.pending).toBe(1);
    await a.saveCheckpoint(file);
    for (let i = 4; i < 6; i++) await a.trainStep(mlpBatch(8, i));
    const b = await mlp({ gradientAccumulationSteps: 3 });
    await b.loadCheckpoint(file);
    expect(b.accumulation.pending).toBe(1);
    for (let i = 4; i < 6; i++) await b.trainStep(mlpBatch(8, i));
    expect(maxDiff(await a.parameters(), await b.parameters())).toBe(0);
    // A session that updates every 1 batch cannot take 1 pending batch.
    const c = await mlp();
    await expect(c.loadCheckpoint(file)).rejects.toThrow(/1 batches are accumulated, but this session updates every 1/);
    await Promise.all([a.release(), b.release(), c.release()]);
  });

  test('loads from files reuse one read buffer, and nothing of a load stays tied to it: a later load, good or corrupt, leaves the state alone', async () => {
    const first = path.join(dir, 'first.ckpt'), second = path.join(dir, 'second.ckpt'), corrupt = path.join(dir, 'corrupt.ckpt');
    const a = await mlp({ gradientAccumulationSteps: 3 });
    for (let i = 0; i < 4; i++) await a.trainStep(mlpBatch(8, i)); // one update, one batch pending
    a.rngState = { draws: new Float64Array([0.25, 0.5]) };
    await a.saveCheckpoint(first);
    for (let i = 4; i < 8; i++) await a.trainStep(mlpBatch(8, i));
    a.rngState = { draws: new Float64Array([0.75, 1]) };
    await a.saveCheckpoint(second);
    // The second file with one byte of a tensor changed: the checksum rejects it after it has been read.
    const bad = await fs.readFile(second);
    bad[bad.length - 100] ^= 0xff;
    await fs.writeFile(corrupt, bad);

    const b = await mlp({ gradientAccumulationSteps: 3 });
    const buffer = () => (b as unknown as { loadBuffer?: Uint8Array }).loadBuffer?.buffer;
    await b.loadCheckpoint(second);
    const kept = buffer();
    expect(kept).toBeDefined();
    await b.loadCheckpoint(first);
    expect(buffer()).toBe(kept); // read into the same memory
    const held = { params: await b.parameters(), state: b.optimizer.stateDict() };
    // Read into that memory too, over the bytes of `first`, then rejected.
    await expect(b.loadCheckpoint(corrupt)).rejects.toThrow(/checksum mismatch/);
    expect(buffer()).toBe(kept);
    expect(maxDiff(await b.parameters(), held.params)).toBe(0);
    expect(b.optimizer.stateDict()).toEqual(held.state);
    expect(b.rngState).toEqual({ draws: new Float64Array([0.25, 0.5]) });
    // The pending batch's gradients were not overwritten either: finishing the cycle matches a fresh load.
    const c = await mlp({ gradientAccumulationSteps: 3 });
    await c.loadCheckpoint(first);
    for (let i = 4; i < 6; i++) {
      await b.trainStep(mlpBatch(8, i));
      await c.trainStep(mlpBatch(8, i));
    }
    expect(maxDiff(await b.parameters(), await c.parameters())).toBe(0);
    await Promise.all([a.release(), b.release(), c.release()]);
  });

  test('checkpoints as bytes (for browsers) restore the same state', async () => {
    const a = await mlp();
    await a.trainStep(mlpBatch(8, 1));
    const bytes = await a.checkpointBytes();
    await a.trainStep(mlpBatch(8, 2));
    const b = await mlp();
    await b.loadCheckpoint(bytes);
    await b.trainStep(mlpBatch(8, 2));
    expect(maxDiff(await a.parameters(), await b.parameters())).toBe(0);
    await expect(b.loadCheckpoint(bytes.subarray(0, 100))).rejects.toThrow(/checkpoint bytes: checksum mismatch/);
    await Promise.all([a.release(), b.release()]);
  });

  test('the optimizer state goes into the file as Float32Array; a file of earlier sessions (state as number arrays) loads the same', async () => {
    const a = await mlp();
    for (let i = 0; i < 2; i++) await a.trainStep(mlpBatch(8, i));
    const bytes = await a.checkpointBytes();
    type Content = { optimizer: { stateDict: { state: Record<string, Record<string, unknown>> } } };
    const content = decodeCheckpoint(bytes) as Content;
    const entries = Object.values(content.optimizer.stateDict.state);
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) {
      expect(e.expAvg).toBeInstanceOf(Float32Array);
      expect(e.expAvgSq).toBeInstanceOf(Float32Array);
    }
    // Earlier sessions' stateDict gave number arrays, which the checkpoint stored as { $float32 } from 16
    // elements on and as JSON numbers below.
    for (const e of entries) {
      for (const k of ['expAvg', 'expAvgSq']) {
        const v = e[k] as Float32Array;
        e[k] = v.length >= 16 ? { $float32: v } : Array.from(v);
      }
    }
    expect(entries.some((e) => Array.isArray(e.expAvg))).toBe(true); // both forms are in the file
    const earlier = encodeCheckpoint(content);
    const b = await mlp();
    await b.loadCheckpoint(earlier);
    expect(b.optimizer.stateDict()).toEqual(a.optimizer.stateDict());
    await a.trainStep(mlpBatch(8, 2));
    await b.trainStep(mlpBatch(8, 2));
    expect(maxDiff(await a.parameters(), await b.parameters())).toBe(0);
    await Promise.all([a.release(), b.release()]);
  });

  test('the sampler state is saved and restored through its stateDict', async () => {
    const file = path.join(dir, 's.ckpt');
    let state = { position: 17, order: [3, 1, 2] };
    const a = await mlp();
    a.sampler = { stateDict: () => state, loadStateDict: (s) => { state = s as typeof state; } };
    await a.saveCheckpoint(file);
    state = { position: 0, order: [] };
    await a.loadCheckpoint(file);
    expect(state).toEqual({ position: 17, order: [3, 1, 2] });
    await a.release();
  });

  test('a failed save leaves the previous checkpoint intact and no temporary file', async () => {
    const file = path.join(dir, 'keep.ckpt');
    const s = await mlp();
    await s.saveCheckpoint(file);
    const before = await fs.readFile(file);
    await s.trainStep(mlpBatch(8, 1));
    jest.spyOn(fs, 'rename').mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
    await expect(s.saveCheckpoint(file)).rejects.toThrow(/cannot write '.*keep\.ckpt': EIO/);
    expect(Buffer.compare(await fs.readFile(file), before)).toBe(0);
    // The checkpoint and the session's claim on its path (keep.ckpt.lock), no temporary file.
    expect((await fs.readdir(dir)).sort()).toEqual(['keep.ckpt', 'keep.ckpt.lock']);
    // The session goes on, and the next save works.
    await s.trainStep(mlpBatch(8, 2));
    await s.saveCheckpoint(file);
    expect(Buffer.compare(await fs.readFile(file), before)).not.toBe(0);
    await s.release();
  });

  test('a corrupt, truncated, missing or foreign checkpoint is an error naming the file, and changes nothing', async () => {
    const file = path.join(dir, 'good.ckpt');
    const s = await mlp();
    await s.trainStep(mlpBatch(8, 1));
    await s.saveCheckpoint(file);
    const bytes = await fs.readFile(file);
    await s.trainStep(mlpBatch(8, 2));
    const params = await s.parameters();
    const state = s.optimizer.stateDict();

    const corrupt = path.join(dir, 'corrupt.ckpt');
    const flipped = Buffer.from(bytes);
    flipped[Math.floor(flipped.length / 2)] ^= 0x5a;
    await fs.writeFile(corrupt, flipped);
    await expect(s.loadCheckpoint(corrupt)).rejects.toThrow(/checkpoint '.*corrupt\.ckpt': checksum mismatch/);

    const truncated = path.join(dir, 'truncated.ckpt');
    await fs.writeFile(truncated, bytes.subarray(0, bytes.length >> 1));
    await expect(s.loadCheckpoint(truncated)).rejects.toThrow(/checkpoint '.*truncated\.ckpt': .*truncated or corrupt/);

    await expect(s.loadCheckpoint(path.join(dir, 'none.ckpt'))).rejects.toThrow(/checkpoint '.*none\.ckpt': no such file/);

    const model = path.join(dir, 'model.onnx');
    await fs.writeFile(model, modelBytes('mlp'));
    await expect(s.loadCheckpoint(model)).rejects.toThrow(/checkpoint '.*model\.onnx': not an ortrain checkpoint/);

    // A checkpoint of another model or optimizer does not fit.
    const tiny = await TrainingSession.create({ model: tinyModel(), loss: 'mse', optimizer: (p) => new Adam(p) });
    const other = path.join(dir, 'tiny.ckpt');
    await tiny.saveCheckpoint(other);
    await expect(s.loadCheckpoint(other)).rejects.toThrow(/tiny\.ckpt': holds parameter 'W', which this session does not train/);
    const sgd = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: (p) => new SGD(p, { lr: 0.1 }) });
    await expect(sgd.loadCheckpoint(file)).rejects.toThrow(/good\.ckpt': holds the state of the Adam optimizer, the session's is SGD/);

    expect(maxDiff(await s.parameters(), params)).toBe(0);
    expect(s.optimizer.stateDict()).toEqual(state);
    expect(s.step).toBe(2);
    expect(Buffer.compare(await fs.readFile(file), bytes)).toBe(0);
    await Promise.all([s.release(), tiny.release(), sgd.release()]);
  });
});
