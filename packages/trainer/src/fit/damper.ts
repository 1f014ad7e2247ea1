/**
 * What `fit` needs of a damper (@ortrain/damping's classes have this face): at each update `next()` gives
 * the batch size and the lr, and after it `record` gets what the update saw. Its whole state goes into
 * fit's checkpoints through stateDict/loadStateDict.
 */
export interface FitDamper {
  next(): { batchSize: number; lr: number } | Promise<{ batchSize: number; lr: number }>;
  record(update: { examples: number; loss: number; gradNorm2?: number }): void;
  stateDict(): unknown;
  loadStateDict(state: unknown): void;
}

export function isDamper(x: unknown): x is FitDamper {
  const d = x as Partial<Record<keyof FitDamper, unknown>> | null;
  return !!d && typeof d === 'object' && ['next', 'record', 'stateDict', 'loadStateDict'].every((k) => typeof d[k as keyof FitDamper] === 'function');
}
