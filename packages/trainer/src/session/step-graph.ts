import { GraphBuilder, ModelProto, Value, fromOnnxDataType } from '@ortrain/graph-builder';
import type { FusedStep, OptimizerBridge } from './optimizer-bridge';
import { SessionModels, gradName } from './training-graphs';

/** Names of the step graphs' own inputs and outputs. */
export const stepNames = {
  loss: 'loss',
  /** SAM: the loss at the perturbed point (the second pass). */
  perturbedLoss: 'loss_perturbed',
  gradNorm: 'grad_norm',
  gradNorm2: 'grad_norm2',
  /** The sum of every updated parameter: NaN or infinite when one of them is (one reduction per group). */
  paramCheck: 'param_check',
  accumulator: (p: string) => `${p}.grad_accumulator`,
  accumulated: (p: string) => `${p}.grad_accumulator.next`,
};


export interface StepOptions {
  /**
   * Update step: read the parameters as slices of the optimizer's flat group buffers (needed when those
   * live on the device) rather than as inputs of their own, which on the host are views of the same buffers.
   */
  sliceParams?: boolean;
  /** Batches whose gradients are summed before an update (1: update at every step). */
  accumulation: number;
  maxGradNorm?: number;
  /** Update step: also output the squared L2 norm of the applied gradient (before clipping), for dampers. */
  gradNorm2?: boolean;
  /** Output `paramCheck`, which the session checks for NaN and Inf after the run (nonFinite given). */
  checkParameters?: boolean;
  /** 'accumulate': add this batch's gradient to the accumulators; 'update': apply the update. */
  kind: 'accumulate' | 'update';
  /** With slow weights (Lookahead, Scout): the graph of an update that ends with a sync. */
  sync?: boolean;
}

/**
 * The graph of one training step: the training model (forward, loss, backward) inlined, then what turns
 * gradients into an update, with as few nodes as the math allows. Accumulating over k batches, the
 * accumulator is acc + g, and at the k-th batch the sum is applied as the mean; clipping is torch's
 * clip_grad_norm_ of that mean, norm = sqrt(sum of squares) / k and scale = min(1, maxNorm / (norm + 1e-6)).
 * The 1/k and the clip scale fold into one scalar, so each gradient takes one Mul (none without either).
 *
 * Under SAM the training model is inlined twice: at w (gradient g1, the loss reported), then at w + e(w)
 * with e from g1; both passes read the same parameter values and the same frozen initializers. The second
 * pass's gradient g2 is what the rest of the step sees: it is accumulated, clipped and applied at w.
 */
export function buildStepModel(models: SessionModels, o: StepOptions, bridge?: OptimizerBridge): { model: ModelProto; fused?: FusedStep } {
  const { params } = models;
  const training = models.training.graph!;
  const opset = (models.training.opsetImport ?? []).find((x) => !x.domain || x.domain === 'ai.onnx')?.version ?? 17;
  const g = new GraphBuilder(o.kind === 'update' ? 'train_step' : 'accumulate_step', { opset: Number(opset) });
  const fused = o.kind === 'update' ? bridge!.fuse(g, { sync: o.sync }) : undefined;
  const feeds: Record<string, Value> = fused && o.sliceParams ? Object.fromEntries(fused.views()) : {};
  const inits = new Set((training.initializer ?? []).map((t) => t.name!));
  for (const i of training.input ?? []) {
    if (inits.has(i.name!) || feeds[i.name!]) continue;
    const t = i.type!.tensorType!;
    const shape = (t.shape?.dim ?? []).map((d) => (d.dimValue !== undefined ? Number(d.dimValue) : d.dimParam || `d_${i.name}`));
    feeds[i.name!] = g.input(i.name!, fromOnnxDataType(t.elemType!), shape);
  }
  const sam = bridge?.sam;
  let out = g.inline(training, feeds, 'train');
  g.output(out[models.lossName], stepNames.loss);
  if (models.predictionShape) g.output(out[models.predictionShape.name], models.predictionShape.name);
  // Training mode: the running statistics after this batch (under SAM, of the pass at w), which the session feeds to the next step.
  for (const s of models.stats ?? []) g.output(out[s.next], s.next);
  if (sam) {
    const ws = params.map((p) => feeds[p.name]);
    const perturbed = g.scope('sam', () => sam.fusePerturbation(g, ws, params.map((p) => out[gradName(p.name)])));
    out = g.inline(training, { ...feeds, ...Object.fromEntries(params.map((p, i) => [p.name, perturbed[i]])) }, 'perturbed');
    g.output(out[models.lossName], stepNames.perturbedLoss);
  }
  const k = o.accumulation;
  const sums = new Map<string, Value>();
  g.scope('step', () => {
    for (const p of params) {
      const grad = out[gradName(p.name)];
      if (k === 1) {
        sums.set(p.name, grad);
        continue;
      }
      const acc = g.input(stepNames.accumulator(p.name), 'float32', p.dims);
      const next = g.add(acc, grad);
      // output() may rename the value in place: keep using what it returns.
      sums.set(p.name, o.kind === 'accumulate' ? g.output(next, stepNames.accumulated(p.name)) : next);
    }
  });
  if (o.kind === 'accumulate') return { model: g.build({ docString: 'ortrain gradient accumulation step' }) };
  const applied = g.scope('step', () => {
    let scale: Value | undefined;
    // One ReduceSumSquare per gradient, shared by clipping and the squared norm that dampers read.
    let sumSquares = o.maxGradNorm !== undefined || o.gradNorm2 ? g.sum(params.map((p) => g.reduceSumSquare(sums.get(p.name)!))) : undefined;
    if (o.gradNorm2 && k === 1) sumSquares = g.output(sumSquares!, stepNames.gradNorm2);
    else if (o.gradNorm2) g.output(g.mul(sumSquares!, 1 / (k * k)), stepNames.gradNorm2);
    if (o.maxGradNorm !== undefined) {
      const sumNorm = g.sqrt(sumSquares!);
      const norm = g.output(k === 1 ? sumNorm : g.mul(sumNorm, 1 / k), stepNames.gradNorm);
      const coef = g.min(g.div(g.constant(o.maxGradNorm), g.add(norm, 1e-6)), 1);
      scale = k === 1 ? coef : g.mul(coef, 1 / k);
    } else if (k > 1) {
      scale = g.constant(1 / k);
    }
    return new Map(params.map((p) => [p.name, scale ? g.mul(sums.get(p.name)!, scale) : sums.get(p.name)!]));
  });
  const next = g.scope('optimizer', () => fused!.apply(applied));
  if (o.checkParameters && next.length) {
    // Overflows to Inf only when the parameters' sum passes 3e38, by which time training has diverged anyway.
    g.scope('step', () => {
      const sums = next.map((v) => g.reduceSum(v));
      g.output(sums.length === 1 ? sums[0] : g.sum(sums), stepNames.paramCheck);
    });
  }
  return { model: g.build({ docString: 'ortrain training step: forward, loss, backward and update' }), fused };
}
