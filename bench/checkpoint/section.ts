// Issue 11 section 3: saving and loading a 30 MB checkpoint (the mobilenet_v3_small fixture, every float
// initializer trained, with Adam's state) against torch.save / torch.load of the same tensors, and the
// disk itself (writing and reading the same bytes) as the floor.
import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Tensor } from 'onnxruntime-node';
import { checkpointParts, decodeCheckpoint, encodeCheckpoint, writeFileAtomic } from '../../packages/trainer/src/checkpoint';
import { PythonPeer } from '../python-peer';
import { Contestant, runRounds, Timing, timeBlock } from '../rounds';
import { fmt, markdownTable } from '../table';
import { FIXTURES, loadTrainer } from '../training/ortrain-training';

export const TORCH_CHECKPOINT_SCRIPT = join(__dirname, '..', 'peers', 'torch_checkpoint.py');

interface SessionLike {
  trainStep(batch: { inputs: Record<string, Tensor>; labels: Tensor }): Promise<unknown>;
  saveCheckpoint(file: string): Promise<void>;
  loadCheckpoint(file: string | Uint8Array): Promise<void>;
  checkpointBytes(): Promise<Uint8Array>;
  optimizer: { stateDict(): { state: Record<string, Record<string, unknown>> } };
  models: { params: { name: string; dims: number[] }[] };
  release(): Promise<void>;
}

const ROWS = {
  save: 'ortrain saveCheckpoint (atomic: fsync + rename)',
  load: 'ortrain loadCheckpoint',
  encodeTyped: 'format alone, state as Float32Array: encode + atomic writev',
  decodeTyped: 'format alone, state as Float32Array: read + decode',
  diskWrite: 'disk: write the same bytes + fsync',
  diskRead: 'disk: read the same bytes',
  torchSave: 'torch.save',
  torchSaveAtomic: 'torch.save, atomic (fsync + rename)',
  torchLoad: 'torch.load + load_state_dict',
};

export async function checkpointSection(options: { quick: boolean }): Promise<string> {
  const mods = await loadTrainer();
  if (typeof mods === 'string') return `_checkpoint: ${mods}_`;
  const dir = mkdtempSync(join(tmpdir(), 'ortrain-bench-ckpt-'));
  const { Adam } = mods.optimizers;
  const session = (await mods.trainer.TrainingSession.create({
    model: join(FIXTURES, 'mobilenet_v3_small_bn.onnx'), loss: 'cross_entropy',
    optimizer: (params) => new Adam(params, { lr: 1e-3 }), executionProviders: ['cpu'],
  })) as unknown as SessionLike;
  const peer = await PythonPeer.start(TORCH_CHECKPOINT_SCRIPT);
  try {
    // One step, so Adam's state exists.
    const x = new Float32Array(2 * 3 * 64 * 64).map((_, i) => (i % 255) / 255);
    await session.trainStep({ inputs: { input: new Tensor('float32', x, [2, 3, 64, 64]) }, labels: new Tensor('int64', new BigInt64Array([1n, 2n]), [2]) });
    const file = join(dir, 'session.ckpt');
    await session.saveCheckpoint(file);
    const bytes = readFileSync(file);
    // The session's own content as its file holds it (the optimizer's state as Float32Array), for the format alone.
    const typed = decodeCheckpoint(bytes);
    const typedFile = join(dir, 'typed.ckpt');
    const typedSize = encodeCheckpoint(typed).length;
    const rawFile = join(dir, 'raw.bin');
    const contestants: Contestant[] = [
      { name: ROWS.save, runBlock: (n) => timeBlock(n, () => session.saveCheckpoint(file)) },
      { name: ROWS.load, runBlock: (n) => timeBlock(n, () => session.loadCheckpoint(file)) },
      { name: ROWS.encodeTyped, runBlock: (n) => timeBlock(n, () => writeFileAtomic(typedFile, checkpointParts(typed))) },
      { name: ROWS.decodeTyped, runBlock: (n) => timeBlock(n, () => { decodeCheckpoint(readFileSync(typedFile)); }) },
      { name: ROWS.diskWrite, runBlock: (n) => timeBlock(n, () => writeSynced(rawFile, bytes)) },
      { name: ROWS.diskRead, runBlock: (n) => timeBlock(n, () => { readFileSync(rawFile); }) },
    ];
    let torchNote = typeof peer === 'string' ? `PyTorch ${peer}` : '';
    let torchBytes = 0;
    if (typeof peer !== 'string') {
      const shapes = session.models.params.map((p) => p.dims);
      const setup = await peer.request<{ bytes: number }>({ cmd: 'setup', shapes, path: join(dir, 'torch.pt') });
      torchBytes = setup.bytes;
      torchNote = `PyTorch ${peer.hello.torch}: the same ${shapes.length} tensors with Adam's state, ${(setup.bytes / 1e6).toFixed(1)} MB on disk`;
      contestants.push(
        { name: ROWS.torchSave, runBlock: async (reps) => (await peer.request<{ seconds: number }>({ cmd: 'save', reps, atomic: false })).seconds },
        { name: ROWS.torchSaveAtomic, runBlock: async (reps) => (await peer.request<{ seconds: number }>({ cmd: 'save', reps, atomic: true })).seconds },
        { name: ROWS.torchLoad, runBlock: async (reps) => (await peer.request<{ seconds: number }>({ cmd: 'load', reps })).seconds },
      );
    }
    const { timings, failed } = await runRounds(contestants, { rounds: options.quick ? 3 : 9, blockSeconds: 0.2, warmup: 1 });
    const sizes: Record<string, number> = {
      [ROWS.save]: bytes.length, [ROWS.load]: bytes.length, [ROWS.encodeTyped]: typedSize, [ROWS.decodeTyped]: typedSize,
      [ROWS.diskWrite]: bytes.length, [ROWS.diskRead]: bytes.length,
      [ROWS.torchSave]: torchBytes, [ROWS.torchSaveAtomic]: torchBytes, [ROWS.torchLoad]: torchBytes,
    };
    const row = (name: string, t: Timing | undefined): string[] => {
      const size = sizes[name];
      if (!t) return [name, failed.get(name) ? 'failed' : 'n/a', '', '', ''];
      return [name, fmt(t.secondsPerStep * 1e3), fmt(t.minSecondsPerStep * 1e3), size ? fmt(size / t.minSecondsPerStep / 1e6) : '-', size ? fmt(size / 1e6) : '-'];
    };
    const out = [
      '### Checkpoint of mobilenet_v3_small with Adam: milliseconds (lower is better)',
      '',
      markdownTable(['operation', 'median ms', 'min ms', 'MB/s (at min)', 'MB'], contestants.map((c) => row(c.name, timings.get(c.name)))),
      '',
      `- ${torchNote}. torch.save writes without fsync unless 'atomic'; the page cache serves the reads of both.`,
      '- "format alone": the checkpoint encoder and the atomic file write (one writev from the arrays), and the read and',
      '  decode, of the session\'s own content (the optimizer\'s state as the Float32Array copies `stateDict()` hands over).',
      '  The session rows add the session\'s own work: copying the state out of the optimizer and the parameters, and',
      '  on load checking and copying everything back in.',
    ];
    for (const [name, why] of failed) out.push(`- ${name} failed: ${why}`);
    for (const [name, t] of timings) console.log(`  ${name}: median ${fmt(t.secondsPerStep * 1e3)} ms, min ${fmt(t.minSecondsPerStep * 1e3)} ms`);
    return out.join('\n');
  } finally {
    if (typeof peer !== 'string') await peer.close();
    await session.release();
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeSynced(file: string, bytes: Uint8Array): void {
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
