// torch.optim.Adam (foreach on and off) in a Python peer process; it times its own steps. Each runs on as
// many threads as the machine has cores and on one thread: on a shared machine an OpenMP team of two
// stalls whenever another process holds one of the cores, which can make it far slower than one thread.
import { join } from 'path';
import { PythonPeer } from '../python-peer';
import { Contestant } from '../rounds';

export const TORCH_ADAM_SCRIPT = join(__dirname, '..', 'peers', 'torch_adam.py');

/** Thread counts PyTorch runs with: the core count, and 1 when that differs. */
export function torchThreads(cores: number): number[] {
  return cores > 1 ? [cores, 1] : [1];
}

export function torchAdamName(foreach: boolean, threads: number): string {
  return `PyTorch foreach=${foreach ? 'True' : 'False'}, ${threads} thr`;
}

export async function torchAdam(peer: PythonPeer, sizes: number[], threadCounts: number[],
  algorithm: { className: string; kwargs: Record<string, unknown> } = { className: 'Adam', kwargs: { lr: 1e-3 } }): Promise<Contestant[]> {
  await peer.request({ cmd: 'setup', sizes, seed: 1, algorithm: algorithm.className, kwargs: algorithm.kwargs });
  const contestant = (foreach: boolean, threads: number): Contestant => ({
    name: torchAdamName(foreach, threads),
    runBlock: async (reps) => (await peer.request<{ seconds: number }>({ cmd: 'run', foreach, reps, threads })).seconds,
  });
  return threadCounts.flatMap((t) => [contestant(true, t), contestant(false, t)]);
}
