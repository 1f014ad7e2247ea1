// torch.optim.Adam (foreach on and off) in a Python peer process; it times its own steps.
import { join } from 'path';
import { PythonPeer } from '../python-peer';
import { Contestant } from '../rounds';

export const TORCH_ADAM_SCRIPT = join(__dirname, '..', 'peers', 'torch_adam.py');

export async function torchAdam(peer: PythonPeer, sizes: number[]): Promise<Contestant[]> {
  await peer.request({ cmd: 'setup', sizes, seed: 1 });
  const contestant = (foreach: boolean): Contestant => ({
    name: `PyTorch foreach=${foreach ? 'True' : 'False'}`,
    runBlock: async (reps) => (await peer.request<{ seconds: number }>({ cmd: 'run', foreach, reps })).seconds,
  });
  return [contestant(true), contestant(false)];
}
