import { DType, GraphBuilder, encodeModel } from '@ortrain/graph-builder';
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { Backend } from './backend';
import { providerEntry } from './provider-choice';
import type { ExecutionProvider, TensorValues } from './types';

/**
 * Reads device tensors back to the CPU through Identity sessions on the same provider whose outputs are on
 * the CPU. onnxruntime-node aborts the whole process on getData() of a 'gpu-buffer' tensor, so in Node this
 * is the only safe way back; one session per element type and rank is compiled once and kept.
 */
export class DeviceReader {
  private readonly sessions = new Map<string, Promise<InferenceSession>>();

  constructor(private readonly backend: Backend, private readonly provider: ExecutionProvider) {}

  async read(tensor: Tensor): Promise<TensorValues> {
    const key = `${tensor.type}/${tensor.dims.length}`;
    let session = this.sessions.get(key);
    if (!session) {
      session = this.backend.ort.InferenceSession.create(identityModel(tensor.type as DType, tensor.dims.length), {
        executionProviders: [providerEntry(this.provider)],
      });
      this.sessions.set(key, session);
      session.catch(() => this.sessions.delete(key));
    }
    const out = await (await session).run({ x: tensor });
    return out.y.data as TensorValues;
  }

  async release(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of sessions) await (await s.catch(() => undefined))?.release();
  }
}

function identityModel(dtype: DType, rank: number): Uint8Array {
  const g = new GraphBuilder('read_back');
  const x = g.input('x', dtype, Array.from({ length: rank }, (_, i) => `d${i}`));
  g.output(g.identity(x), 'y');
  return encodeModel(g.build());
}
