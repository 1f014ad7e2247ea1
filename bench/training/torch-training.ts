// PyTorch eager training steps in a Python peer process; it times its own steps. As for Adam, PyTorch runs
// on the machine's core count (torch.set_num_threads) and on one thread.
import { join } from 'path';
import { PythonPeer } from '../python-peer';
import { Contestant } from '../rounds';
import { BATCH, BATCHES, ModelName } from './batches';

export const TORCH_TRAIN_SCRIPT = join(__dirname, '..', 'peers', 'torch_train.py');

export function torchTrainingName(threads: number): string {
  return `PyTorch eager, ${threads} thr`;
}

export async function torchTraining(peer: PythonPeer, model: ModelName, threadCounts: number[]): Promise<Contestant[]> {
  await peer.request({ cmd: 'setup', model, batch: BATCH, batches: BATCHES, seed: 0 });
  return threadCounts.map((threads) => ({
    name: torchTrainingName(threads),
    runBlock: async (reps) => (await peer.request<{ seconds: number }>({ cmd: 'run', model, reps, threads })).seconds,
  }));
}
