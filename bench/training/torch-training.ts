// PyTorch eager training steps in a Python peer process; it times its own steps.
import { join } from 'path';
import { PythonPeer } from '../python-peer';
import { Contestant } from '../rounds';
import { BATCH, BATCHES, ModelName } from './batches';

export const TORCH_TRAIN_SCRIPT = join(__dirname, '..', 'peers', 'torch_train.py');

export async function torchTraining(peer: PythonPeer, model: ModelName): Promise<Contestant> {
  await peer.request({ cmd: 'setup', model, batch: BATCH, batches: BATCHES, seed: 0 });
  return {
    name: 'PyTorch eager',
    runBlock: async (reps) => (await peer.request<{ seconds: number }>({ cmd: 'run', model, reps })).seconds,
  };
}
