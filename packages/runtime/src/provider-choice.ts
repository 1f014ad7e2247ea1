import { GraphBuilder, encodeModel } from '@ortrain/graph-builder';
import type { InferenceSession } from 'onnxruntime-common';
import type { Backend } from './backend';
import type { ExecutionProvider, ProviderReport } from './types';

/** Checks provider names against what the platform has: an unknown name is a RangeError listing them. */
export function checkProviderNames(backend: Backend, requested: readonly unknown[]): ExecutionProvider[] {
  if (!Array.isArray(requested) || requested.length === 0) {
    throw new RangeError(`executionProviders: expected a non-empty list of provider names, got ${JSON.stringify(requested)}`);
  }
  for (const name of requested) {
    if (typeof name !== 'string' || !(backend.providers as readonly string[]).includes(name)) {
      throw new RangeError(`executionProviders: '${String(name)}' is not a provider of onnxruntime on ${backend.platform}; ` +
        `it has ${backend.providers.map((p) => `'${p}'`).join(', ')}`);
    }
  }
  return [...requested] as ExecutionProvider[];
}

/**
 * The provider entry of onnxruntime's session options. WebGPU asks for the NCHW layout: with onnxruntime
 * 1.30's default (NHWC) its convolutions drift from the CPU's results (LeNet's logits by 1e-2 on
 * SwiftShader, against 1e-8 with NCHW), and training graphs need gradients that agree across providers.
 */
export function providerEntry(provider: ExecutionProvider): InferenceSession.ExecutionProviderConfig {
  return provider === 'webgpu' ? { name: 'webgpu', preferredLayout: 'NCHW' } as InferenceSession.ExecutionProviderConfig : provider;
}

let probeModel: Uint8Array | undefined;

/** y = x + 1 over a float32 vector: enough to make a provider start, compile a kernel and run. */
function probe(): Uint8Array {
  if (!probeModel) {
    const g = new GraphBuilder('provider_probe');
    g.output(g.add(g.input('x', 'float32', [4]), 1), 'y');
    probeModel = encodeModel(g.build());
  }
  return probeModel;
}

// Providers that have started, per onnxruntime module: a provider that worked once in this process works
// again, so later runtimes skip the probe. Failures are not kept, and are tried again next time.
const started = new WeakMap<object, Set<ExecutionProvider>>();

/** Starts one provider (once per module and provider); throws why it cannot start. */
async function start(backend: Backend, provider: ExecutionProvider): Promise<void> {
  const known = started.get(backend.ort) ?? new Set<ExecutionProvider>();
  started.set(backend.ort, known);
  if (known.has(provider)) return;
  await probeProvider(backend, provider);
  known.add(provider);
}

/** Creates, runs and releases a tiny session on the provider. */
async function probeProvider(backend: Backend, provider: ExecutionProvider): Promise<void> {
  const { InferenceSession, Tensor } = backend.ort;
  const session = await InferenceSession.create(probe(), { executionProviders: [providerEntry(provider)] });
  try {
    const out = await session.run({ x: new Tensor('float32', new Float32Array([1, 2, 3, 4]), [4]) });
    const y = out.y.data as Float32Array;
    if (y[0] !== 2 || y[3] !== 5) throw new Error(`probe model computed [${Array.from(y).join(', ')}] instead of [2, 3, 4, 5]`);
  } finally {
    await session.release();
  }
}

/** The message of an error, also of one from another realm (onnxruntime-node's native code). */
function reasonOf(e: unknown): string {
  const message = (e as { message?: unknown } | null)?.message;
  return (typeof message === 'string' ? message : String(e)).trim();
}

/**
 * The first provider of the list that starts on this machine. Those before it are reported with the reason
 * they could not start; when none starts, the error lists every reason.
 */
export async function chooseProvider(backend: Backend, requested: ExecutionProvider[]): Promise<ProviderReport> {
  const skipped: ProviderReport['skipped'] = [];
  for (const provider of requested) {
    try {
      await start(backend, provider);
      return { platform: backend.platform, requested: [...requested], used: provider, skipped };
    } catch (e) {
      skipped.push({ provider, reason: reasonOf(e) });
    }
  }
  throw new Error(`executionProviders: none of ${requested.map((p) => `'${p}'`).join(', ')} could start on ${backend.platform}: ` +
    skipped.map((s) => `${s.provider}: ${s.reason}`).join('; '));
}
