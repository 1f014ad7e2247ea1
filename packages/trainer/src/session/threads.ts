// The CPU provider's default thread count for the session's graphs.
//
// onnxruntime's default is a pool of one thread per core. On a machine of 1 or 2 cores that pool competes
// with everything else (Node's own threads, other processes), and a busy pool thread stalls every parallel
// region: measured on 2 shared cores at a load of about 8 (scripts/train-step-speed.ts --threads), one
// thread trained the mlp and lenet fixtures 1.6x to 2.2x faster than the pool; unloaded, the pool was at
// most 10% faster. With more cores onnxruntime's default stands.
const OS = 'os';

/** 1 on machines of at most 2 logical cores, else undefined (onnxruntime's default). */
export function defaultIntraOpThreads(): number | undefined {
  const cores = logicalCores();
  return cores !== undefined && cores <= 2 ? 1 : undefined;
}

function logicalCores(): number | undefined {
  // Reached indirectly so that browser bundles leave 'os' out (see ../checkpoint/node-modules.ts).
  const req = typeof require === 'function' ? require : undefined;
  if (!req) return undefined;
  try {
    const os = req(OS) as typeof import('os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  } catch {
    return undefined;
  }
}
