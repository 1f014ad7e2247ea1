import type { Dataset } from '../data/dataset';
import type { TrainingSession } from '../session';
import type { Metric } from './metrics';

/** The consecutive batches of a whole pass over a dataset, as index arrays. */
function* chunks(length: number, batchSize: number): Generator<Uint32Array> {
  for (let start = 0; start < length; start += batchSize) {
    const end = Math.min(start + batchSize, length);
    yield Uint32Array.from({ length: end - start }, (_, i) => start + i);
  }
}

function checkBatchSize(batchSize: number, what: string): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`${what}: expected a positive integer, got ${String(batchSize)}`);
}

/** A summed loss adds across batches; a mean one is weighted by batch size. */
function sums(session: TrainingSession): boolean {
  return (session.models.loss.spec as { reduction?: string }).reduction === 'sum';
}

/**
 * The loss over a whole dataset with the current parameters (evalStep, batch after batch) and, for each
 * metric, its mean over the examples; nothing is updated. A mean loss is weighted by batch size.
 */
export async function evaluate(session: TrainingSession, dataset: Dataset, options: { batchSize?: number; metrics?: Record<string, Metric> } = {}): Promise<{ loss: number; metrics: Record<string, number> }> {
  const batchSize = options.batchSize ?? 256;
  checkBatchSize(batchSize, 'evalBatchSize');
  const metrics = Object.entries(options.metrics ?? {});
  const totals = new Map(metrics.map(([name]) => [name, 0]));
  let loss = 0;
  for (const indices of chunks(dataset.length, batchSize)) {
    const batch = await dataset.batch(indices);
    const out = await session.evalStep(batch);
    loss += sums(session) ? out.loss : out.loss * indices.length;
    for (const [name, metric] of metrics) totals.set(name, totals.get(name)! + metric(out.outputs, batch.labels) * indices.length);
  }
  const n = dataset.length;
  return {
    loss: sums(session) ? loss : loss / n,
    metrics: Object.fromEntries(metrics.map(([name]) => [name, totals.get(name)! / n])),
  };
}

/** The loss over a whole dataset with the current parameters (AdaDamp's F(x_k)); nothing is updated. */
export async function datasetLoss(session: TrainingSession, dataset: Dataset, options: { batchSize?: number } = {}): Promise<number> {
  return (await evaluate(session, dataset, options)).loss;
}

/**
 * The loss and the gradient of every trainable parameter (in `session.parameterNames` order) over a whole
 * dataset, from lossAndGradients batch after batch: AdaDampNN's full gradient. For a mean loss both are the
 * dataset's mean (adadamp sums the gradient over examples instead: a constant factor, which its ratio of
 * norms does not see). Nothing is updated.
 */
export async function datasetGradients(session: TrainingSession, dataset: Dataset, options: { batchSize?: number } = {}): Promise<{ loss: number; gradients: Float64Array[] }> {
  const batchSize = options.batchSize ?? 256;
  checkBatchSize(batchSize, 'batchSize');
  const names = session.parameterNames;
  const gradients = session.models.params.map((p) => new Float64Array(p.initial.length));
  const n = dataset.length;
  const summed = sums(session);
  let loss = 0;
  for (const indices of chunks(n, batchSize)) {
    const out = await session.lossAndGradients(await dataset.batch(indices));
    const w = summed ? 1 : indices.length / n;
    loss += out.loss * w;
    names.forEach((name, i) => {
      const g = out.gradients.get(name)!;
      const acc = gradients[i];
      for (let j = 0; j < g.length; j++) acc[j] += g[j] * w;
    });
  }
  return { loss, gradients };
}
