import { GraphBuilder, ModelProto, Value, encodeModel } from '@ortrain/graph-builder';
import { Optimizer, OptimizerConfig, Parameter, optimizerFromConfig } from '@ortrain/optimizers';
import { Runtime } from '@ortrain/runtime';
import { Wrapper } from '@ortrain/wrappers';
import type { LossSpec } from '../losses';
import { encodeCheckpoint } from '../checkpoint/format';
import { writeFileAtomic } from '../checkpoint/file';
import { nodeFs, nodePath } from '../checkpoint/node-modules';
import { loadModel } from '../session/model-source';
import { OptimizerBridge } from '../session/optimizer-bridge';
import { pruneGraph } from '../session/prune';
import { checkpointContent } from '../session/session-state';
import { SessionModels, Trainable, gradName, modelsFromForward } from '../session/training-graphs';
import type { OptimizerFactory } from '../session/training-session';
import { ARTIFACT_FILES, ArtifactConfig, OPTIMIZER_METADATA, specToJson } from '../session/artifact-layout';

export interface ArtifactOptions {
  /** Initializers to train (ONNX Runtime's requires_grad); default the default trainable set without frozenParams. */
  requiresGrad?: string[];
  /** Initializers to keep fixed (ONNX Runtime's frozen_params). */
  frozenParams?: string[];
  /** The loss: a name or `{ kind, ...options }`, as TrainingSession.create takes. */
  loss: LossSpec;
  /** The model output the loss applies to (default the first). */
  output?: string;
  /**
   * The optimizer: a registered optimizer of @ortrain/optimizers by name ('AdamW', as ONNX Runtime's OptimType,
   * with its default options; case-insensitive), an OptimizerConfig `{ name, options }`, `{ name, ...options }`,
   * or a factory as TrainingSession.create takes. Default 'AdamW'.
   */
  optimizer?: string | OptimizerConfig | ({ name: string } & Record<string, unknown>) | OptimizerFactory;
}

/** Paths of the files generateArtifacts wrote. */
export interface ArtifactPaths {
  training: string;
  eval: string;
  optimizer: string;
  checkpoint: string;
}

/**
 * Writes the training artifacts of a forward model into `dir`, in the layout of ONNX Runtime's on-device
 * training: training_model.onnx (inputs, labels and trainable parameters -> loss and `<param>.grad`),
 * eval_model.onnx (-> loss and the model's outputs), optimizer_model.onnx (one update of every parameter
 * group: flat parameters, state, the step's scalars and the gradients -> new parameters and state) and
 * checkpoint (initial parameters, optimizer state and the session's configuration, ortrain's checkpoint
 * format). `TrainingSession.fromArtifacts(dir)` trains from them. Each file is written atomically.
 */
export async function generateArtifacts(model: string | Uint8Array, options: ArtifactOptions, dir: string): Promise<ArtifactPaths> {
  if (!options || typeof options !== 'object') throw new TypeError(`generateArtifacts: expected an options object, got ${String(options)}`);
  if (typeof dir !== 'string' || dir === '') throw new RangeError(`generateArtifacts: dir must be a directory path, got ${String(dir)}`);
  const { proto } = await loadModel(model);
  const models = modelsFromForward(proto, trainableOf(proto, options), options.loss, options.output);
  const params = models.params.map((p) => new Parameter(p.name, Float32Array.from(p.initial), p.dims));
  const optimizer = optimizerFactory(options.optimizer ?? 'AdamW')(params);
  if (!(optimizer instanceof Optimizer) && !(optimizer instanceof Wrapper)) throw new TypeError('optimizer: the factory must return an optimizer of @ortrain/optimizers or a wrapper of @ortrain/wrappers');
  const runtime = await Runtime.create();
  const bridge = new OptimizerBridge(optimizer, params, runtime);
  const files = {
    training: encodeModel(models.training),
    eval: encodeModel(models.eval),
    optimizer: encodeModel(optimizerModel(bridge, models)),
    checkpoint: encodeCheckpoint({
      ...checkpointContent({
        params: new Map(models.params.map((p) => [p.name, p.initial])),
        optimizer: { algorithm: bridge.algorithm, config: bridge.config, stateDict: optimizer.stateDict() },
        counters: { step: 0, skippedSteps: 0, microStep: 0 },
        accumulators: new Map(),
      }),
      artifacts: artifactConfig(models),
    }),
  };
  const path = nodePath('generateArtifacts');
  await nodeFs('generateArtifacts').promises.mkdir(dir, { recursive: true });
  const paths = {
    training: path.join(dir, ARTIFACT_FILES.training),
    eval: path.join(dir, ARTIFACT_FILES.eval),
    optimizer: path.join(dir, ARTIFACT_FILES.optimizer),
    checkpoint: path.join(dir, ARTIFACT_FILES.checkpoint),
  };
  for (const k of ['training', 'eval', 'optimizer', 'checkpoint'] as const) await writeFileAtomic(paths[k], files[k]);
  await optimizer.release();
  await runtime.release();
  return paths;
}

/** requiresGrad and frozenParams as the autodiff's trainable option. */
function trainableOf(model: ModelProto, o: ArtifactOptions): Trainable | undefined {
  const names = new Set((model.graph!.initializer ?? []).map((t) => t.name!));
  for (const [option, list] of [['requiresGrad', o.requiresGrad], ['frozenParams', o.frozenParams]] as const) {
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.some((n) => typeof n !== 'string')) throw new RangeError(`${option}: expected a list of initializer names, got ${String(list)}`);
    for (const n of list) if (!names.has(n)) throw new RangeError(`${option}: '${n}' is not an initializer of the model`);
  }
  const frozen = new Set(o.frozenParams ?? []);
  if (o.requiresGrad) {
    const both = o.requiresGrad.filter((n) => frozen.has(n));
    if (both.length) throw new RangeError(`requiresGrad and frozenParams both name '${both.join("', '")}'`);
    return o.requiresGrad;
  }
  return frozen.size === 0 ? undefined : { except: [...frozen] };
}

/** An optimizer factory from a name, an OptimizerConfig, a `{ name, ...options }` object or a factory (see the registry of @ortrain/optimizers). */
export function optimizerFactory(spec: ArtifactOptions['optimizer']): OptimizerFactory {
  if (typeof spec === 'function') return spec;
  const config = configOf(spec ?? 'AdamW');
  return (params) => optimizerFromConfig(params, config) as ReturnType<OptimizerFactory>;
}

/** A name, `{ name, options }` or `{ name, ...options }` as an OptimizerConfig. */
export function configOf(spec: string | OptimizerConfig | ({ name: string } & Record<string, unknown>)): OptimizerConfig {
  if (typeof spec === 'string') return { name: spec, options: {} };
  if (!spec || typeof spec !== 'object' || typeof spec.name !== 'string') throw new RangeError(`optimizer: expected a name or { name, options }, got ${JSON.stringify(spec)}`);
  const { name, options, base, ...rest } = spec as Record<string, unknown>;
  const isConfig = options !== undefined && typeof options === 'object' && Object.keys(rest).length === 0;
  if (isConfig) return { name: name as string, options: options as Record<string, unknown>, ...(base ? { base: base as OptimizerConfig } : {}) };
  return { name: name as string, options: { ...rest, ...(options !== undefined ? { options } : {}), ...(base !== undefined ? { base } : {}) } };
}

/**
 * The standalone update of every parameter group: inputs opt<g>.param (the group's parameters, flat),
 * opt<g>.state.<name>, opt<g>.s<k>.<scalar> (the step's coefficients, which the optimizer's rule computes on
 * the host) and <param>.grad; outputs opt<g>.param.out and opt<g>.state.<name>.out.
 */
function optimizerModel(bridge: OptimizerBridge, models: SessionModels): ModelProto {
  const g = new GraphBuilder('optimizer_step');
  // The base optimizer's update: a wrapper's part needs the training model (SAM) or runs inside the step.
  const fused = bridge.fuse(g, { baseOnly: true });
  const grads = new Map<string, Value>(models.params.map((p) => [p.name, g.input(gradName(p.name), 'float32', p.dims)]));
  fused.apply(grads);
  const model = g.build({ docString: `ortrain optimizer model (${bridge.algorithm}): one update of every parameter group` });
  return { ...model, metadataProps: [{ key: OPTIMIZER_METADATA, value: bridge.algorithm }], graph: pruneGraph(model.graph!, fused.outputNames) };
}

function artifactConfig(models: SessionModels): ArtifactConfig {
  return {
    params: models.params.map((p) => ({ name: p.name, dims: p.dims })),
    inputs: models.inputs.map(specToJson),
    labels: specToJson(models.labels),
    outputNames: models.outputNames,
    lossName: models.lossName,
    loss: models.loss.spec as unknown as Record<string, unknown>,
  };
}
