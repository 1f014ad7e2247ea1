import type { DType, Dim } from '@ortrain/graph-builder';
import { bceWithLogitsConfig, bceWithLogitsLoss, checkLastAxis } from './bce-with-logits';
import { checkClassCount, classAxisFor, crossEntropyConfig, crossEntropyLoss } from './cross-entropy';
import { l1Loss } from './l1';
import { mseLoss } from './mse';
import { checkReduction } from './checks';
import { graphLoss } from './graph-loss';
import type { LabelSpec, LossBuilder, LossKind, LossSpec, LossSpecObject, PredictionInfo } from './types';

export const LOSS_KINDS: readonly LossKind[] = ['cross_entropy', 'mse', 'l1', 'bce_with_logits'];

export interface ResolvedLoss {
  /** A built-in loss, or 'graph' for a loss given as an ONNX model. */
  kind: LossKind | 'graph';
  /** Appends the loss to a graph. */
  build: LossBuilder;
  /** The labels the loss takes: int64 class indices for cross-entropy, else the prediction's type and shape. */
  labels: LabelSpec;
  /** The model output the loss applies to, when the spec names one (default: the first output). */
  output?: string;
  /** The spec with every default filled in, plain JSON (for artifacts and checkpoints). */
  spec: LossSpecObject;
}

/**
 * A loss from its name (`'cross_entropy'`, `'mse'`, `'l1'`, `'bce_with_logits'`, torch's defaults) or an
 * object `{ kind, ...options }`. With the prediction's type and shape, options that depend on them
 * (classAxis, weight lengths) are checked now and the labels' shape is given; otherwise when building.
 * Throws a RangeError naming a bad kind or option and its value.
 */
export function resolveLoss(spec: LossSpec, prediction?: PredictionInfo): ResolvedLoss {
  const object: { kind?: unknown; output?: unknown } = typeof spec === 'string' ? { kind: spec } : spec;
  if (typeof object !== 'object' || object === null) {
    throw new RangeError(`loss: expected a name (${LOSS_KINDS.join(', ')}) or an object { kind, ...options }, got ${String(spec)}`);
  }
  if ('graph' in object) return resolveGraphLoss(object as { graph: unknown; kind?: unknown; output?: unknown }, prediction);
  const { kind, output, ...options } = object as { kind: unknown; output?: unknown } & Record<string, unknown>;
  if (!LOSS_KINDS.includes(kind as LossKind)) {
    throw new RangeError(`loss: unknown kind ${typeof kind === 'string' ? `'${kind}'` : String(kind)} (known: ${LOSS_KINDS.join(', ')})`);
  }
  if (output !== undefined && (typeof output !== 'string' || output === '')) {
    throw new RangeError(`loss: output must be the name of a model output, got ${typeof output === 'string' ? `'${output}'` : String(output)}`);
  }
  const named = output === undefined ? {} : { output: output as string };
  const floatType: DType = prediction?.dtype ?? 'float32';
  const shape = prediction?.shape ? [...prediction.shape] : undefined;

  switch (kind as LossKind) {
    case 'cross_entropy': {
      const config = crossEntropyConfig(options);
      let labelShape: Dim[] | undefined;
      if (shape) {
        const axis = classAxisFor(config, shape.length);
        checkClassCount(config, shape[axis]);
        labelShape = shape.filter((_, i) => i !== axis);
      }
      const normalized = { kind: 'cross_entropy' as const, ...dropUndefined(config), ...named };
      return { kind: 'cross_entropy', build: crossEntropyLoss(options), labels: withShape('int64', labelShape), spec: normalized, ...named };
    }
    case 'mse':
    case 'l1': {
      const k = kind as 'mse' | 'l1';
      const build = k === 'mse' ? mseLoss(options) : l1Loss(options);
      const reduction = checkReduction(k, options.reduction);
      return { kind: k, build, labels: withShape(floatType, shape), spec: { kind: k, reduction, ...named }, ...named };
    }
    case 'bce_with_logits': {
      const config = bceWithLogitsConfig(options);
      const build = bceWithLogitsLoss(options);
      checkLastAxis(shape, 'posWeight', config.posWeight);
      checkLastAxis(shape, 'weight', config.weight);
      const normalized = { kind: 'bce_with_logits' as const, ...dropUndefined(config), ...named };
      return { kind: 'bce_with_logits', build, labels: withShape(floatType, shape), spec: normalized, ...named };
    }
  }
  throw new Error('unreachable');
}

/** `{ graph: bytes }` (or `{ kind: 'graph', graph }`; saved specs hold the bytes as base64). */
function resolveGraphLoss(o: { graph: unknown; kind?: unknown; output?: unknown }, prediction?: PredictionInfo): ResolvedLoss {
  const { graph, kind, output, ...rest } = o;
  if (kind !== undefined && kind !== 'graph') throw new RangeError(`loss: kind ${String(kind)} does not take a graph; give { graph: bytes } alone`);
  if (Object.keys(rest).length) throw new RangeError(`loss: unknown option '${Object.keys(rest)[0]}' of a graph loss (known: graph, output)`);
  if (output !== undefined && (typeof output !== 'string' || output === '')) throw new RangeError(`loss: output must be the name of a model value, got ${String(output)}`);
  const named = output === undefined ? {} : { output: output as string };
  const loss = graphLoss(graph, prediction);
  return { kind: 'graph', build: loss.build, labels: loss.labels, spec: { kind: 'graph', graph: loss.base64, ...named } as unknown as LossSpecObject, ...named };
}

function withShape(dtype: DType, shape: Dim[] | undefined): LabelSpec {
  return shape ? { dtype, shape } : { dtype };
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
