// On the CPU a training step copies no parameter in: each parameter is fed as a tensor over the optimizer's
// own array (a view of its group buffer), and the checkpoint is written from those arrays.
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Adam, Parameter } from '@ortrain/optimizers';
import { Runtime, RuntimeSession } from '@ortrain/runtime';
import type { Tensor } from 'onnxruntime-common';
import { TrainingSession } from '../../src/session';
import { mlpBatch, modelBytes } from './helpers';

test('each step feeds every parameter as the optimizer\'s own array, not a copy', async () => {
  const runtime = await Runtime.create({ executionProviders: ['cpu'] });
  const fed: Record<string, Tensor>[] = [];
  const create = runtime.createSession.bind(runtime);
  jest.spyOn(runtime, 'createSession').mockImplementation(async (model, options) => {
    const s: RuntimeSession = await create(model, options);
    const run = s.run.bind(s);
    s.run = (feeds, fetches) => {
      fed.push(feeds);
      return run(feeds, fetches);
    };
    return s;
  });
  const session = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: (p) => new Adam(p, { lr: 1e-2 }), runtime });
  const params = session.optimizer.paramGroups.flatMap((g: { params: Parameter[] }) => g.params);
  for (let i = 0; i < 3; i++) {
    const before = new Map(params.map((p) => [p.name, p.data]));
    fed.length = 0;
    await session.trainStep(mlpBatch(8, i));
    expect(fed).toHaveLength(1);
    for (const p of params) {
      const t = fed[0][p.name].data as Float32Array;
      const own = before.get(p.name)!;
      // The same memory: same buffer, same offset, same length.
      expect(t.buffer).toBe(own.buffer);
      expect([t.byteOffset, t.length]).toEqual([own.byteOffset, own.length]);
    }
  }
  await session.release();
  await runtime.release();
});

test('a saved checkpoint holds the values the session trains with, bit for bit', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ortrain-buffers-'));
  try {
    const session = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: (p) => new Adam(p, { lr: 1e-2 }) });
    await session.trainStep(mlpBatch(8, 0));
    const file = path.join(dir, 'a.ckpt');
    await session.saveCheckpoint(file);
    const values = await session.parameters();
    // Written from the optimizer's arrays without a copy: the next step must not change what was saved.
    await session.trainStep(mlpBatch(8, 1));
    const fresh = await TrainingSession.create({ model: modelBytes('mlp'), loss: 'cross_entropy', optimizer: (p) => new Adam(p, { lr: 1e-2 }) });
    await fresh.loadCheckpoint(file);
    for (const [n, v] of await fresh.parameters()) expect(v).toEqual(values.get(n));
    await session.release();
    await fresh.release();
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
